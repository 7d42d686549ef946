/**
 * The emulator: the launcher's version gate, its start/read/stop, and one test per fill of
 * moto's gaps, each through the AWS SDK v3 against one emulator started for this file. Every
 * fill test fails on moto 5.2.1 without its fill (`launcher.py --skip-fill <name>` shows it).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CloudWatchClient,
  GetMetricDataCommand,
  GetMetricStatisticsCommand,
  PutMetricDataCommand,
  type MetricDatum,
} from "@aws-sdk/client-cloudwatch";
import { CreateRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import {
  CreateFunctionCommand,
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  LambdaClient,
  UpdateFunctionConfigurationCommand,
} from "@aws-sdk/client-lambda";
import {
  CreateTopicCommand,
  GetTopicAttributesCommand,
  PublishBatchCommand,
  PublishCommand,
  SetTopicAttributesCommand,
  SNSClient,
} from "@aws-sdk/client-sns";
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
  type QueueAttributeName,
} from "@aws-sdk/client-sqs";
import { strToU8, zipSync } from "fflate";
import { fetchQueueLatency, metricWindow } from "../../cli/latency";
import { redrive } from "../../cli/redrive";
import { LATENCY_METRIC_NAMES, METRIC_NAMESPACE } from "../../cli/metric-contract";
import {
  EMULATOR_LAUNCHER,
  emulatorUnavailable,
  readEmulator,
  startEmulator,
  stopEmulator,
} from "../emulator";
import { localLayout } from "../layout";
import { isAlive } from "../process";
import { emulatorClientConfig, emulatorSuite, useEmulator } from "./support/emulator";

/** A directory that makes `importlib.metadata` find a moto of another version first. */
function fakeMotoPath(version: string): string {
  const dir = mkdtempSync(join(tmpdir(), "fanout-fake-moto-"));
  mkdirSync(join(dir, `moto-${version}.dist-info`));
  writeFileSync(
    join(dir, `moto-${version}.dist-info`, "METADATA"),
    `Metadata-Version: 2.1\nName: moto\nVersion: ${version}\n`,
  );
  return dir;
}

const VERSION_REFUSAL =
  /^moto 9\.9\.9 found, moto 5\.2\.1 required.*pip install "moto\[server\]==5\.2\.1"/;

describe("emulatorUnavailable", () => {
  it("says python3 is missing when it is not on PATH", () => {
    expect(emulatorUnavailable({ PATH: "" })).toMatch(/^python3 is not on PATH/);
  });
});

const describeEmulator = emulatorSuite("emulator tests");

describeEmulator("the emulator launcher", () => {
  let fake: string;
  beforeAll(() => {
    fake = fakeMotoPath("9.9.9");
  });
  afterAll(() => rmSync(fake, { recursive: true, force: true }));

  it("refuses another moto version with one line and exit code 2", () => {
    const run = spawnSync("python3", [EMULATOR_LAUNCHER, "--port", "0"], {
      env: { ...process.env, PYTHONPATH: fake },
      encoding: "utf8",
      timeout: 20_000,
    });
    expect(run.status).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(run.stderr).toMatch(VERSION_REFUSAL);
  });

  it("names the version found and the one required in emulatorUnavailable", () => {
    expect(emulatorUnavailable({ ...process.env, PYTHONPATH: fake })).toBe(
      'moto 9.9.9 is installed, the emulator needs moto 5.2.1 (pip install "moto[server]==5.2.1")',
    );
  });

  it("rejects startEmulator with the refusal from the log", async () => {
    const stateDir = mkdtempSync(join(tmpdir(), "fanout-emulator-refused-"));
    try {
      await expect(
        startEmulator({ stateDir, env: { ...process.env, PYTHONPATH: fake } }),
      ).rejects.toThrow(
        /exited with code 2; last lines of .*emulator\.log:\n.*moto 9\.9\.9 found/s,
      );
      expect(readEmulator(stateDir)).toBeUndefined();
      expect(existsSync(localLayout(stateDir).emulatorPid)).toBe(false);
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  it("refuses a host other than loopback", () => {
    const run = spawnSync("python3", [EMULATOR_LAUNCHER, "--host", "0.0.0.0", "--port", "0"], {
      encoding: "utf8",
      timeout: 20_000,
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/^--host 0\.0\.0\.0 is not a loopback address/);
  });
});

describeEmulator("the emulator and its fills", () => {
  const emulator = useEmulator();
  const config = (region = "us-east-1") => emulatorClientConfig(emulator().info, region);
  let sqs: SQSClient;
  let cloudWatch: CloudWatchClient;
  beforeAll(() => {
    sqs = new SQSClient(config());
    cloudWatch = new CloudWatchClient(config());
  });
  afterAll(() => {
    sqs?.destroy();
    cloudWatch?.destroy();
  });

  let queues = 0;
  /** A fresh queue and its DLQ (redrive after `maxReceiveCount` receives). */
  async function queueWithDlq(maxReceiveCount = 1) {
    const name = `fill-test-${++queues}`;
    const dlq = await sqs.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }));
    const dlqUrl = dlq.QueueUrl as string;
    const dlqArn = await queueAttribute(dlqUrl, "QueueArn");
    const redrivePolicy = JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount });
    const queue = await sqs.send(
      new CreateQueueCommand({ QueueName: name, Attributes: { RedrivePolicy: redrivePolicy } }),
    );
    const url = queue.QueueUrl as string;
    return { url, arn: await queueAttribute(url, "QueueArn"), dlqUrl, dlqArn, redrivePolicy };
  }

  async function allAttributes(url: string): Promise<Record<string, string>> {
    const answer = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["All"] }),
    );
    return answer.Attributes ?? {};
  }

  async function queueAttribute(url: string, name: QueueAttributeName): Promise<string> {
    const answer = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: [name] }),
    );
    return answer.Attributes?.[name] as string;
  }

  const redriveAllow = (sourceArn: string) =>
    JSON.stringify({ redrivePermission: "byQueue", sourceQueueArns: [sourceArn] });

  it("sqs_redrive_allow_policy: returns RedriveAllowPolicy by name and with All", async () => {
    const q = await queueWithDlq();
    await sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl: q.dlqUrl,
        Attributes: { RedriveAllowPolicy: redriveAllow(q.arn) },
      }),
    );
    expect(await queueAttribute(q.dlqUrl, "RedriveAllowPolicy")).toBe(redriveAllow(q.arn));
    expect((await allAttributes(q.dlqUrl)).RedriveAllowPolicy).toBe(redriveAllow(q.arn));
  });

  it("sqs_keep_policy: keeps the policy through a SetQueueAttributes without Policy", async () => {
    const q = await queueWithDlq();
    const policy = JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "DenyInsecureTransport",
          Effect: "Deny",
          Principal: "*",
          Action: "sqs:*",
          Resource: q.dlqArn,
          Condition: { Bool: { "aws:SecureTransport": "false" } },
        },
      ],
    });
    await sqs.send(
      new SetQueueAttributesCommand({ QueueUrl: q.dlqUrl, Attributes: { Policy: policy } }),
    );
    await sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl: q.dlqUrl,
        Attributes: { RedriveAllowPolicy: redriveAllow(q.arn) },
      }),
    );
    await sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl: q.dlqUrl,
        Attributes: { VisibilityTimeout: "45" },
      }),
    );
    const attributes = await allAttributes(q.dlqUrl);
    expect(JSON.parse(attributes.Policy)).toEqual(JSON.parse(policy));
    expect(attributes.VisibilityTimeout).toBe("45");
  });

  it('sqs_remove_empty_attributes: an attribute set to "" is gone', async () => {
    const q = await queueWithDlq();
    await sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl: q.dlqUrl,
        Attributes: { RedriveAllowPolicy: redriveAllow(q.arn) },
      }),
    );
    await sqs.send(
      new SetQueueAttributesCommand({ QueueUrl: q.dlqUrl, Attributes: { RedriveAllowPolicy: "" } }),
    );
    expect(await allAttributes(q.dlqUrl)).not.toHaveProperty("RedriveAllowPolicy");
    expect(await queueAttribute(q.dlqUrl, "RedriveAllowPolicy")).toBeUndefined();
  });

  it("sqs_redrive_policy_as_aws_returns_it: RedrivePolicy comes back as the stacks set it", async () => {
    const q = await queueWithDlq(5);
    expect(q.redrivePolicy).toBe(`{"deadLetterTargetArn":"${q.dlqArn}","maxReceiveCount":5}`);
    expect((await allAttributes(q.url)).RedrivePolicy).toBe(q.redrivePolicy);
  });

  /** Sends `bodies` and receives them until moto has moved them all to the DLQ. */
  async function deadLetter(q: { url: string; dlqUrl: string }, bodies: string[]) {
    for (const body of bodies) {
      await sqs.send(new SendMessageCommand({ QueueUrl: q.url, MessageBody: body }));
    }
    const inDlq = () => queueAttribute(q.dlqUrl, "ApproximateNumberOfMessages");
    for (let i = 0; i < 10 && (await inDlq()) !== String(bodies.length); i++) {
      // Visible again at once: the next receive finds it past maxReceiveCount and moves it.
      await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: q.url,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: 0,
        }),
      );
    }
    expect(await inDlq()).toBe(String(bodies.length));
  }

  async function bodiesIn(url: string): Promise<string[]> {
    const answer = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, VisibilityTimeout: 30 }),
    );
    return (answer.Messages ?? []).map((m) => m.Body as string).sort();
  }

  it("sqs_message_move_tasks: fanout redrive moves a DLQ's messages back and lists the task COMPLETED", async () => {
    const q = await queueWithDlq();
    const bodies = ["one", "two", "three"];
    await deadLetter(q, bodies);
    const lines: string[] = [];
    const last = await redrive({
      sqs: () => sqs,
      dlqUrl: q.dlqUrl,
      region: "us-east-1",
      wait: true,
      pollIntervalMs: 50,
      print: (line) => lines.push(line),
      stop: new AbortController().signal,
    });
    expect(last).toMatchObject({
      Status: "COMPLETED",
      SourceArn: q.dlqArn,
      ApproximateNumberOfMessagesMoved: 3,
      ApproximateNumberOfMessagesToMove: 3,
    });
    expect(last?.TaskHandle).toBeUndefined();
    expect(lines.at(-1)).toBe("COMPLETED: 3 of 3 moved");
    expect(await queueAttribute(q.dlqUrl, "ApproximateNumberOfMessages")).toBe("0");
    expect(await bodiesIn(q.url)).toEqual([...bodies].sort());
  });

  it("sqs_message_move_tasks: moves to DestinationArn, refuses a queue that is no DLQ", async () => {
    const q = await queueWithDlq();
    const other = await queueWithDlq();
    await deadLetter(q, ["elsewhere"]);
    const started = await sqs.send(
      new StartMessageMoveTaskCommand({
        SourceArn: q.dlqArn,
        DestinationArn: other.arn,
        MaxNumberOfMessagesPerSecond: 100,
      }),
    );
    expect(started.TaskHandle).toEqual(expect.any(String));
    let status: string | undefined;
    for (let i = 0; i < 100 && status !== "COMPLETED"; i++) {
      const listed = await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: q.dlqArn }));
      expect(listed.Results).toHaveLength(1);
      status = listed.Results?.[0].Status;
      if (status !== "COMPLETED") await new Promise((r) => setTimeout(r, 20));
    }
    expect(status).toBe("COMPLETED");
    expect(await bodiesIn(other.url)).toEqual(["elsewhere"]);
    await expect(sqs.send(new StartMessageMoveTaskCommand({ SourceArn: q.arn }))).rejects.toThrow(
      /must be configured as a Dead Letter Queue/,
    );
  });

  const dimensions = [
    { Name: "service", Value: "fill-test" },
    { Name: "Role", Value: "active" },
  ];
  /** A whole minute well inside any window that ends at the next minute. */
  const minute = Math.floor(Date.now() / 60_000) * 60_000 - 120_000;

  async function put(metricName: string, data: Omit<MetricDatum, "MetricName" | "Dimensions">[]) {
    await cloudWatch.send(
      new PutMetricDataCommand({
        Namespace: "FillTest",
        MetricData: data.map((d) => ({ MetricName: metricName, Dimensions: dimensions, ...d })),
      }),
    );
  }

  async function stat(metricName: string, statName: string, period: number, start = minute) {
    const answer = await cloudWatch.send(
      new GetMetricDataCommand({
        StartTime: new Date(start),
        EndTime: new Date(start + 60_000),
        ScanBy: "TimestampAscending",
        MetricDataQueries: [
          {
            Id: "q",
            MetricStat: {
              // The other order than put: a metric is its set of dimensions.
              Metric: {
                Namespace: "FillTest",
                MetricName: metricName,
                Dimensions: [...dimensions].reverse(),
              },
              Period: period,
              Stat: statName,
            },
          },
        ],
      }),
    );
    return answer.MetricDataResults?.[0];
  }

  it("cloudwatch_metric_queries: every stat over Values/Counts arrays, percentiles included", async () => {
    await put("Arrays", [
      {
        Timestamp: new Date(minute + 10_000),
        Unit: "Milliseconds",
        StorageResolution: 1,
        Values: [10, 20, 30],
        Counts: [1, 2, 3],
      },
    ]);
    const expected: Record<string, number> = {
      SampleCount: 6,
      Sum: 140,
      Average: 140 / 6,
      Minimum: 10,
      Maximum: 30,
      p50: 20,
      p99: 30,
      "p99.9": 30,
    };
    for (const [name, value] of Object.entries(expected)) {
      const result = await stat("Arrays", name, 60);
      expect({ name, values: result?.Values }).toEqual({ name, values: [value] });
      expect(result?.Timestamps).toEqual([new Date(minute)]);
    }
  });

  it("cloudwatch_metric_queries: high-resolution periods of 1 s keep seconds apart", async () => {
    await put("HighRes", [
      { Timestamp: new Date(minute + 1_000), StorageResolution: 1, Values: [1, 2, 3] },
      { Timestamp: new Date(minute + 2_000), StorageResolution: 1, Values: [7], Counts: [4] },
    ]);
    const result = await stat("HighRes", "p50", 1);
    expect(result?.Values).toEqual([2, 7]);
    expect(result?.Timestamps).toEqual([new Date(minute + 1_000), new Date(minute + 2_000)]);
    expect((await stat("HighRes", "SampleCount", 10))?.Values).toEqual([7]);
  });

  it("cloudwatch_metric_queries: the CLI's latency query reads p50/p90/p99", async () => {
    const now = Date.now();
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    await cloudWatch.send(
      new PutMetricDataCommand({
        Namespace: METRIC_NAMESPACE,
        MetricData: [
          {
            MetricName: "EndToEndLatency",
            Dimensions: [
              { Name: "service", Value: "fanout-filltest" },
              { Name: "Role", Value: "replica" },
            ],
            Timestamp: new Date(now - 1_000),
            Unit: "Milliseconds",
            StorageResolution: 1,
            Values: values,
            Counts: values.map(() => 1),
          },
        ],
      }),
    );
    const latency = await fetchQueueLatency(
      cloudWatch,
      "fanout-filltest",
      "replica",
      metricWindow(now, 5 * 60_000),
    );
    expect(latency.EndToEndLatency).toEqual({ p50: 50, p90: 90, p99: 99 });
    for (const metric of LATENCY_METRIC_NAMES.filter((m) => m !== "EndToEndLatency")) {
      expect(latency[metric]).toEqual({ p50: undefined, p90: undefined, p99: undefined });
    }
  });

  it("cloudwatch_metric_queries: metric math and GetMetricStatistics with ExtendedStatistics", async () => {
    await put("MathA", [{ Timestamp: new Date(minute + 5_000), Value: 3 }]);
    await put("MathB", [{ Timestamp: new Date(minute + 5_000), Values: [10, 20] }]);
    const metric = (name: string) => ({
      Metric: { Namespace: "FillTest", MetricName: name, Dimensions: dimensions },
      Period: 60,
      Stat: "Sum",
    });
    const math = await cloudWatch.send(
      new GetMetricDataCommand({
        StartTime: new Date(minute),
        EndTime: new Date(minute + 60_000),
        MetricDataQueries: [
          { Id: "a", MetricStat: metric("MathA"), ReturnData: false },
          { Id: "b", MetricStat: metric("MathB"), ReturnData: false },
          { Id: "lag", Expression: "(b - a) / 3" },
        ],
      }),
    );
    expect(math.MetricDataResults?.map((r) => [r.Id, r.Values])).toEqual([["lag", [9]]]);

    const statistics = await cloudWatch.send(
      new GetMetricStatisticsCommand({
        Namespace: "FillTest",
        MetricName: "MathB",
        Dimensions: dimensions,
        StartTime: new Date(minute),
        EndTime: new Date(minute + 60_000),
        Period: 60,
        Statistics: ["Average", "SampleCount"],
        ExtendedStatistics: ["p50"],
      }),
    );
    expect(statistics.Datapoints).toEqual([
      expect.objectContaining({
        Timestamp: new Date(minute),
        Average: 15,
        SampleCount: 2,
        ExtendedStatistics: { p50: 10 },
      }),
    ]);
  });

  it("sns_topic_attributes: returns SignatureVersion as set", async () => {
    const sns = new SNSClient(config());
    try {
      const { TopicArn } = await sns.send(
        new CreateTopicCommand({ Name: "fill-test-topic", Attributes: { SignatureVersion: "2" } }),
      );
      const read = async () =>
        (await sns.send(new GetTopicAttributesCommand({ TopicArn }))).Attributes?.SignatureVersion;
      expect(await read()).toBe("2");
      await sns.send(
        new SetTopicAttributesCommand({
          TopicArn,
          AttributeName: "SignatureVersion",
          AttributeValue: "1",
        }),
      );
      expect(await read()).toBe("1");
    } finally {
      sns.destroy();
    }
  });

  /** A fresh FIFO queue; `attributes` on top of FifoQueue. */
  async function fifoQueue(attributes: Record<string, string> = {}) {
    const name = `fill-test-${++queues}.fifo`;
    const queue = await sqs.send(
      new CreateQueueCommand({ QueueName: name, Attributes: { FifoQueue: "true", ...attributes } }),
    );
    return queue.QueueUrl as string;
  }

  /** Bodies and groups of one ReceiveMessage of up to 10, long-polling `wait` seconds. */
  async function receiveBodies(url: string, wait = 0) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: wait,
        MessageSystemAttributeNames: ["MessageGroupId"],
      }),
    );
    return Messages;
  }

  it("sqs_fifo_group_order: a group's messages back from a failed receive come again in order", async () => {
    const url = await fifoQueue({ VisibilityTimeout: "1" });
    for (const body of ["g1", "g2", "g3"]) {
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: url,
          MessageBody: body,
          MessageGroupId: "g",
          MessageDeduplicationId: body,
        }),
      );
    }
    expect((await receiveBodies(url)).map((m) => m.Body)).toEqual(["g1", "g2", "g3"]);
    // None deleted: all three come back when the visibility timeout ends, first one first.
    // Without the fill moto skips g1 and g2, blocked by their successors' stale entries.
    expect((await receiveBodies(url, 5)).map((m) => m.Body)).toEqual(["g1", "g2", "g3"]);
  });

  it("sqs_fifo_deduplication_window: drops a resend after the first was deleted; scope messageGroup", async () => {
    const send = (url: string, group: string) =>
      sqs.send(
        new SendMessageCommand({
          QueueUrl: url,
          MessageBody: "same",
          MessageGroupId: group,
          MessageDeduplicationId: "key-1",
        }),
      );
    const url = await fifoQueue();
    await send(url, "g");
    const [first] = await receiveBodies(url);
    await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: first.ReceiptHandle }));
    await send(url, "g");
    expect(await receiveBodies(url)).toEqual([]);

    const scoped = await fifoQueue({
      DeduplicationScope: "messageGroup",
      FifoThroughputLimit: "perMessageGroupId",
    });
    for (const group of ["a", "b", "a"]) await send(scoped, group);
    const groups = (await receiveBodies(scoped)).map((m) => m.Attributes?.MessageGroupId);
    expect(groups).toEqual(["a", "b"]);
  });

  it("sns_fifo_sequence_number: Publish and PublishBatch to a FIFO topic answer growing sequence numbers", async () => {
    const sns = new SNSClient(config());
    try {
      const fifo = await sns.send(
        new CreateTopicCommand({
          Name: "fill-test-sequence.fifo",
          Attributes: { FifoTopic: "true" },
        }),
      );
      const ids = { MessageGroupId: "g", MessageDeduplicationId: "k-1" };
      const one = await sns.send(
        new PublishCommand({ TopicArn: fifo.TopicArn, Message: "1", ...ids }),
      );
      const batch = await sns.send(
        new PublishBatchCommand({
          TopicArn: fifo.TopicArn,
          PublishBatchRequestEntries: [
            { Id: "e1", Message: "2", MessageGroupId: "g", MessageDeduplicationId: "k-2" },
          ],
        }),
      );
      const numbers = [one.SequenceNumber, batch.Successful?.[0]?.SequenceNumber];
      expect(numbers).toEqual([
        expect.stringMatching(/^\d{20}$/),
        expect.stringMatching(/^\d{20}$/),
      ]);
      expect(BigInt(numbers[1]!)).toBeGreaterThan(BigInt(numbers[0]!));

      const standard = await sns.send(new CreateTopicCommand({ Name: "fill-test-standard" }));
      const plain = await sns.send(
        new PublishCommand({ TopicArn: standard.TopicArn, Message: "3" }),
      );
      expect(plain.SequenceNumber).toBeUndefined();
    } finally {
      sns.destroy();
    }
  });

  it("lambda_logging_config: stores LoggingConfig and returns it", async () => {
    const iam = new IAMClient(config());
    const lambda = new LambdaClient(config());
    try {
      const { Role } = await iam.send(
        new CreateRoleCommand({
          RoleName: "fill-test-role",
          AssumeRolePolicyDocument: JSON.stringify({
            Version: "2012-10-17",
            Statement: [
              {
                Effect: "Allow",
                Principal: { Service: "lambda.amazonaws.com" },
                Action: "sts:AssumeRole",
              },
            ],
          }),
        }),
      );
      const loggingConfig = { LogFormat: "JSON" as const, LogGroup: "/fanout/fill-test" };
      await lambda.send(
        new CreateFunctionCommand({
          FunctionName: "fill-test-function",
          Runtime: "nodejs22.x",
          Role: Role?.Arn,
          Handler: "index.handler",
          Code: { ZipFile: zipSync({ "index.js": strToU8("exports.handler = async () => 1;\n") }) },
          LoggingConfig: loggingConfig,
        }),
      );
      const configuration = await lambda.send(
        new GetFunctionConfigurationCommand({ FunctionName: "fill-test-function" }),
      );
      expect(configuration.LoggingConfig).toEqual(loggingConfig);
      const updated = {
        ...loggingConfig,
        ApplicationLogLevel: "WARN" as const,
        SystemLogLevel: "INFO" as const,
      };
      await lambda.send(
        new UpdateFunctionConfigurationCommand({
          FunctionName: "fill-test-function",
          LoggingConfig: updated,
        }),
      );
      const fn = await lambda.send(new GetFunctionCommand({ FunctionName: "fill-test-function" }));
      expect(fn.Configuration?.LoggingConfig).toEqual(updated);
    } finally {
      iam.destroy();
      lambda.destroy();
    }
  });

  // Last: it stops the file's emulator.
  it("reads, reuses and stops the state directory's emulator", async () => {
    const { info, stateDir } = emulator();
    const layout = localLayout(stateDir);
    expect(readEmulator(stateDir)).toEqual(info);
    expect(JSON.parse(readFileSync(layout.emulatorInfo, "utf8"))).toEqual(info);
    expect(readFileSync(layout.emulatorPid, "utf8").trim()).toBe(String(info.pid));
    expect(info.url).toBe(`http://127.0.0.1:${info.port}`);
    expect(readFileSync(layout.emulatorLog, "utf8")).toMatch(
      /ready: moto 5\.2\.1 on http:\/\/127\.0\.0\.1:\d+ .*fills: /,
    );

    expect(await startEmulator({ stateDir })).toEqual(info);

    expect(await stopEmulator(stateDir)).toBe(true);
    // Gone, or a zombie its parent (this test process) has not reaped yet.
    expect(isAlive(info.pid)).toBe(false);
    expect(readEmulator(stateDir)).toBeUndefined();
    expect(existsSync(layout.emulatorInfo)).toBe(false);
    expect(existsSync(layout.emulatorPid)).toBe(false);
    expect(await stopEmulator(stateDir)).toBe(false);
  });
});
