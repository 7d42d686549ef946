/**
 * The real consumer package against the emulator: bundled and zipped as synth does, hosted by
 * the local function host, fed by the poller from a queue in the emulator, its EMF turned into
 * CloudWatch data points the emulator answers GetMetricStatistics and GetMetricData for.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CloudWatchClient,
  GetMetricDataCommand,
  GetMetricStatisticsCommand,
  type Dimension,
} from "@aws-sdk/client-cloudwatch";
import {
  CreateTopicCommand,
  PublishCommand,
  SNSClient,
  SubscribeCommand,
} from "@aws-sdk/client-sns";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { packageLambda } from "../../constructs/bundling";
import { CONSUMER_ENTRY } from "../../constructs/queue-consumer";
import { consumerEnvironment } from "../../lambdas/consumer/env";
import {
  LATENCY_METRICS,
  METRIC_NAMESPACE,
  consumerDimensions,
} from "../../lambdas/shared/metrics";
import { localLayout } from "../layout";
import { createFunctionHost, type FunctionHost } from "../runtime/functions";
import { openJournal, type Journal } from "../runtime/journal";
import { createPoller } from "../runtime/poller";
import type {
  DeliveryRecord,
  DeployedFunction,
  DeployedMapping,
  QueuePoller,
} from "../runtime/types";
import { emulatorClientConfig, emulatorSuite, until, useEmulator } from "./support/emulator";

const REGION = "us-west-2";
const ACCOUNT = "123456789012";
const QUEUE = "fanout-primary-replica-us-west-2";
const FUNCTION = `${QUEUE}-consumer`;

emulatorSuite("local runtime against the emulator")("local runtime against the emulator", () => {
  const emulator = useEmulator("runtime-live");
  let dir: string;
  let host: FunctionHost;
  let poller: QueuePoller;
  let journal: Journal;
  let sqs: SQSClient;
  let cloudWatch: CloudWatchClient;
  let records: DeliveryRecord[];
  let snsMessageId: string;
  let badMessageId: string;
  let queueUrl: string;
  const warnings: string[] = [];

  beforeAll(async () => {
    const { info, stateDir } = emulator();
    dir = mkdtempSync(join(tmpdir(), "fanout-runtime-live-"));
    sqs = new SQSClient(emulatorClientConfig(info, REGION));
    const sns = new SNSClient(emulatorClientConfig(info, "us-east-1"));
    cloudWatch = new CloudWatchClient(emulatorClientConfig(info, REGION));

    const pkg = packageLambda({ entry: CONSUMER_ENTRY, outfile: join(dir, "consumer.zip") });
    const fn: DeployedFunction = {
      stack: "primary",
      address: "aws_lambda_function.replica-us-west-2_consumer_function_D12F6F82",
      name: FUNCTION,
      arn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${FUNCTION}`,
      region: REGION,
      packagePath: pkg.outfile,
      sourceCodeHash: pkg.sha256,
      handler: "index.handler",
      runtime: "nodejs22.x",
      timeoutSeconds: 30,
      memoryMb: 256,
      environment: {
        ...consumerEnvironment({ unitName: "fanout-primary", stack: "primary", role: "replica" }),
        NODE_OPTIONS: "--enable-source-maps",
      },
      logGroupName: `/aws/lambda/${FUNCTION}`,
      logFormat: "JSON",
    };
    const queue = await sqs.send(
      new CreateQueueCommand({ QueueName: QUEUE, Attributes: { VisibilityTimeout: "180" } }),
    );
    queueUrl = queue.QueueUrl!;
    const queueArn = `arn:aws:sqs:${REGION}:${ACCOUNT}:${QUEUE}`;
    const mapping: DeployedMapping = {
      stack: "primary",
      address:
        "aws_lambda_event_source_mapping.replica-us-west-2_consumer_event-source-mapping_CAEDEA1C",
      uuid: "37813328-f52f-4578-b8dd-423636974654",
      functionName: FUNCTION,
      queueArn,
      queueUrl,
      region: REGION,
      batchSize: 10,
      batchingWindowSeconds: 0,
      maxConcurrency: 2,
      functionResponseTypes: ["ReportBatchItemFailures"],
      enabled: true,
    };

    // The good message travels as in the product: published to a topic in the home region,
    // delivered by SNS across regions in its envelope (raw delivery off).
    const topic = await sns.send(new CreateTopicCommand({ Name: "fanout-primary-topic" }));
    await sns.send(
      new SubscribeCommand({ TopicArn: topic.TopicArn, Protocol: "sqs", Endpoint: queueArn }),
    );
    const published = await sns.send(
      new PublishCommand({
        TopicArn: topic.TopicArn,
        Message: JSON.stringify({ recorded_at: Date.now(), id: "good" }),
      }),
    );
    snsMessageId = published.MessageId!;
    const bad = await sqs.send(
      new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: "{not json" }),
    );
    badMessageId = bad.MessageId!;

    journal = openJournal(localLayout(stateDir).journal);
    host = createFunctionHost(fn, {
      stateDir,
      endpointUrl: info.url,
      maxEnvironments: mapping.maxConcurrency,
      onWarning: (warning) => warnings.push(warning),
    });
    poller = createPoller(mapping, host, { sqs, journal });
    poller.start();
    records = await until("two deliveries journaled", async () => {
      const read = await journal.read();
      return read.length >= 2 ? read : undefined;
    });
    await poller.stop();
    await host.flushMetrics();
  }, 60_000);

  afterAll(async () => {
    await poller?.stop();
    await host?.close();
    journal?.close();
    sqs?.destroy();
    cloudWatch?.destroy();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it("journals the SNS message processed and the malformed one failed", () => {
    const common = { stack: "primary", functionName: FUNCTION, region: REGION, receiveCount: 1 };
    expect(records.find((r) => r.snsMessageId === snsMessageId)).toMatchObject({
      ...common,
      outcome: "processed",
    });
    expect(records.find((r) => r.sqsMessageId === badMessageId)).toMatchObject({
      ...common,
      outcome: "failed",
    });
    expect(records.find((r) => r.sqsMessageId === badMessageId)?.snsMessageId).toBeUndefined();
    expect(poller.stats()).toMatchObject({ processed: 1, failed: 1, inFlight: 0 });
  });

  it("deletes the processed message and leaves the failed one in the queue", async () => {
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
      }),
    );
    // The failed one is invisible until its visibility timeout ends, then returns.
    expect(Attributes).toEqual({
      ApproximateNumberOfMessages: "0",
      ApproximateNumberOfMessagesNotVisible: "1",
    });
  });

  it("writes the consumer's Powertools lines to the function's log file", () => {
    const { stateDir } = emulator();
    const lines = readFileSync(join(localLayout(stateDir).logsDir, `${FUNCTION}.log`), "utf8")
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const rejected = lines.find((line) => line.message === "Record rejected: SQS body is not JSON");
    expect(rejected).toMatchObject({
      level: "WARN",
      service: "fanout-primary",
      stack: "primary",
      role: "replica",
      messageId: badMessageId,
      reason: "InvalidJson",
      function_name: FUNCTION,
    });
    expect(lines.filter((line) => line.type === "platform.start").length).toBeGreaterThanOrEqual(1);
    expect(warnings).toEqual([]);
  });

  it("puts EndToEndLatency, with the contract's dimensions, into CloudWatch of the queue's region", async () => {
    const dimensions: Dimension[] = Object.entries(
      consumerDimensions("fanout-primary", "replica"),
    ).map(([Name, Value]) => ({ Name, Value }));
    const window = {
      StartTime: new Date(Date.now() - 600_000),
      EndTime: new Date(Date.now() + 60_000),
    };
    const stats = await cloudWatch.send(
      new GetMetricStatisticsCommand({
        Namespace: METRIC_NAMESPACE,
        MetricName: LATENCY_METRICS.EndToEndLatency.name,
        Dimensions: dimensions,
        ...window,
        Period: 60,
        Statistics: ["SampleCount", "Sum"],
      }),
    );
    const points = stats.Datapoints ?? [];
    expect(points.reduce((sum, p) => sum + (p.SampleCount ?? 0), 0)).toBe(1);
    expect(points[0]?.Unit).toBe("Milliseconds");
    const total = points.reduce((sum, p) => sum + (p.Sum ?? 0), 0);
    expect(total).toBeGreaterThanOrEqual(0);
    expect(total).toBeLessThan(20_000);

    const data = await cloudWatch.send(
      new GetMetricDataCommand({
        ...window,
        MetricDataQueries: [
          {
            Id: "failed",
            MetricStat: {
              Metric: {
                Namespace: METRIC_NAMESPACE,
                MetricName: "FailedRecords",
                Dimensions: [...dimensions, { Name: "Reason", Value: "InvalidJson" }],
              },
              Period: 60,
              Stat: "Sum",
            },
          },
          {
            Id: "e2e",
            MetricStat: {
              Metric: {
                Namespace: METRIC_NAMESPACE,
                MetricName: "EndToEndLatency",
                Dimensions: dimensions,
              },
              Period: 1,
              Stat: "SampleCount",
            },
          },
        ],
      }),
    );
    const sumOf = (id: string) =>
      (data.MetricDataResults ?? [])
        .filter((result) => result.Id === id)
        .flatMap((result) => result.Values ?? [])
        .reduce((sum, value) => sum + value, 0);
    expect(sumOf("failed")).toBe(1);
    expect(sumOf("e2e")).toBe(1);

    // Nothing landed in another region.
    const { info } = emulator();
    const east = new CloudWatchClient(emulatorClientConfig(info, "us-east-1"));
    const elsewhere = await east.send(
      new GetMetricStatisticsCommand({
        Namespace: METRIC_NAMESPACE,
        MetricName: "EndToEndLatency",
        Dimensions: dimensions,
        ...window,
        Period: 60,
        Statistics: ["SampleCount"],
      }),
    );
    east.destroy();
    expect(elsewhere.Datapoints ?? []).toEqual([]);
  });
});
