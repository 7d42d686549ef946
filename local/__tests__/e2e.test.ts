/**
 * End to end, on this machine: both stacks deployed by `cdktf deploy` with the real provider to
 * the emulator, the real handlers run by the local runtime, real traffic, a region-failure
 * drill, and `cdktf destroy` leaving nothing behind. One deployment is shared by every test, in
 * the order below.
 *
 * Two settings differ from the defaults, to make redrive take seconds instead of minutes: a
 * 1 s consumer timeout (so a 6 s visibility timeout) and 2 receives before the DLQ.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetMetricDataCommand, CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { GetQueueAttributesCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { createAwsClients } from "../../cli/aws";
import { nodeHttpClient } from "../../cli/http";
import { METRIC_NAMESPACE, ROLE_DIMENSION, SERVICE_DIMENSION } from "../../cli/metric-contract";
import { runCli } from "../../cli/program";
import { IDEMPOTENCY_ATTRIBUTE } from "../../lambdas/shared/idempotency-key";
import { LOCAL_CREDENTIALS } from "../deployment";
import { uncoveredTypes } from "../inventory";
import { down, localDeploymentUnavailable, redeploy, up, type LocalDeployment } from "../lifecycle";
import type { DeliveryRecord } from "../runtime/types";
import { recordSkip } from "../../__tests__/support/skips";
import { offlinePlanBlocker } from "../../verify/offline-plan";

// What the deployment needs: moto and Flask for the emulator, Terraform and the pinned provider.
const providerBlocker = offlinePlanBlocker();
const unavailable = localDeploymentUnavailable() ?? providerBlocker?.reason;
if (unavailable !== undefined && process.env.FANOUT_REQUIRE_LOCAL === "1") {
  throw new Error(`FANOUT_REQUIRE_LOCAL=1 but the local deployment cannot run: ${unavailable}`);
}
if (unavailable !== undefined && providerBlocker !== undefined) {
  recordSkip({ suite: "LOCAL END-TO-END", ...providerBlocker });
} else if (unavailable !== undefined) {
  console.log(`local end-to-end tests skipped: ${unavailable}`);
}
const describeLocal = unavailable === undefined ? describe : describe.skip;

const MINUTE = 60_000;
jest.setTimeout(5 * MINUTE);

// Made only when the suite runs, so a skipped run leaves nothing behind.
const stateDir = unavailable === undefined ? mkdtempSync(join(tmpdir(), "fanout-local-e2e-")) : "";
const env: NodeJS.ProcessEnv = {
  ...process.env,
  FANOUT_CONSUMER_TIMEOUT_SECONDS: "1",
  // Below AWS's minimum of 5 for Lambda consumers, to keep redrive fast: acknowledged.
  FANOUT_MAX_RECEIVE_COUNT: "2",
  FANOUT_ALLOW_LOW_MAX_RECEIVE_COUNT: "true",
};
const quiet = (): void => undefined;

interface StackValues {
  region: string;
  topic_arn: string;
  active_queue_url: string;
  active_queue_arn: string;
  active_dlq_url: string;
  replica_queue_urls: Record<string, string>;
  replica_queue_arns: Record<string, string>;
}

let deployment: LocalDeployment;
let destroyed = false;

const outputsOf = (stack: string) => deployment.outputs[stack] as StackValues;
const endpoint = (region: string) => deployment.runtime.endpoints[region];
const clientConfig = (region: string) => ({
  region,
  endpoint: endpoint(region),
  credentials: LOCAL_CREDENTIALS,
});

/** Runs the operations CLI on the deployment's outputs file; answers exit code and output. */
async function fanout(args: readonly string[]): Promise<{ code: number; out: string }> {
  let out = "";
  const stream = { write: (text: string) => ((out += text), true) };
  const code = await runCli([...args, "--outputs", deployment.layout.outputs], {
    stdout: stream as unknown as NodeJS.WritableStream,
    stderr: stream,
    aws: (endpoints) => createAwsClients(LOCAL_CREDENTIALS, endpoints),
    credentials: () => LOCAL_CREDENTIALS,
    http: nodeHttpClient,
    onInterrupt: () => () => undefined,
  });
  return { code, out };
}

/** Polls `read` until `done` holds or the deadline passes; answers the last value. */
async function eventually<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  ms = 60_000,
): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > until) return value;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** Unit queues of a stack: ARN -> region. */
function unitQueueArns(stack: string): Record<string, string> {
  const o = outputsOf(stack);
  return { [o.active_queue_arn]: o.region, ...invert(o.replica_queue_arns) };
}
const invert = (map: Record<string, string>) =>
  Object.fromEntries(Object.entries(map).map(([k, v]) => [v, k]));

async function queueDepth(url: string, region: string): Promise<number> {
  const sqs = new SQSClient(clientConfig(region));
  try {
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: url,
        AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
      }),
    );
    return (
      Number(Attributes?.ApproximateNumberOfMessages ?? 0) +
      Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
    );
  } finally {
    sqs.destroy();
  }
}

/**
 * Publishes `count` messages straight to the stack's topic, each with its own `idempotency_key`
 * attribute (as every producer of the project sends) and `kind` when given; answers the keys.
 */
async function publish(stack: string, count: number, kind?: string): Promise<string[]> {
  const o = outputsOf(stack);
  const sns = new SNSClient(clientConfig(o.region));
  try {
    const keys: string[] = [];
    for (let seq = 1; seq <= count; seq += 1) {
      const key = randomUUID();
      const body = JSON.stringify({ recorded_at: Date.now(), seq, producer: "e2e" });
      await sns.send(
        new PublishCommand({
          TopicArn: o.topic_arn,
          Message: body,
          MessageAttributes: {
            [IDEMPOTENCY_ATTRIBUTE]: { DataType: "String", StringValue: key },
            ...(kind && { kind: { DataType: "String", StringValue: kind } }),
          },
        }),
      );
      keys.push(key);
    }
    return keys;
  } finally {
    sns.destroy();
  }
}

const deliveries = (since = 0): Promise<DeliveryRecord[]> =>
  deployment.client.deliveries(since) as Promise<DeliveryRecord[]>;

/** Processed deliveries of each message (by idempotency key) in each queue: `<key> <queue arn>`. */
function processedCounts(records: readonly DeliveryRecord[], keys: readonly string[]) {
  const wanted = new Set(keys);
  const counts = new Map<string, number>();
  for (const r of records) {
    if (r.outcome !== "processed" || r.idempotencyKey === undefined) continue;
    if (!wanted.has(r.idempotencyKey)) continue;
    const key = `${r.idempotencyKey} ${r.queueArn}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** Every EMF blob a function printed. */
function emfBlobs(functionName: string): Record<string, unknown>[] {
  const file = join(deployment.layout.logsDir, `${functionName}.log`);
  return readFileSync(file, "utf8")
    .split("\n")
    .flatMap((line) => {
      const start = line.indexOf("{");
      if (start < 0) return [];
      try {
        const parsed = JSON.parse(line.slice(start)) as Record<string, unknown>;
        return parsed._aws === undefined ? [] : [parsed];
      } catch {
        return [];
      }
    });
}

const asArray = (value: unknown): number[] =>
  (Array.isArray(value) ? value : value === undefined ? [] : [value]) as number[];

describeLocal("local deployment of both stacks", () => {
  beforeAll(async () => {
    deployment = await up({ stateDir, env, log: quiet });
  }, 8 * MINUTE);

  afterAll(async () => {
    if (deployment !== undefined && !destroyed) await down({ stateDir, env, log: quiet });
    rmSync(stateDir, { recursive: true, force: true });
  }, 5 * MINUTE);

  it("deploys both stacks with cdktf deploy and runs every consumer and both APIs", () => {
    expect(deployment.stacks).toEqual(["primary", "secondary"]);
    expect(deployment.loaded.functions).toBe(2 * 3); // per stack: two consumers and the API
    expect(deployment.loaded.mappings).toBe(4);
    expect(Object.keys(deployment.loaded.apis).sort()).toEqual(["primary", "secondary"]);
  });

  it("consumes every message published to a topic once in every queue of its unit, with legs that add up", async () => {
    const since = Date.now();
    const published = {
      primary: await publish("primary", 5),
      secondary: await publish("secondary", 5),
    };
    const api = await fanout([
      "load-test",
      "--stack",
      "secondary",
      "--via",
      "api",
      "--messages",
      "5",
    ]);
    expect(api.code).toBe(0);

    for (const stack of ["primary", "secondary"] as const) {
      const ids = published[stack];
      const queues = Object.keys(unitQueueArns(stack));
      const counts = await eventually(
        async () => processedCounts(await deliveries(since), ids),
        (c) => c.size === ids.length * queues.length,
      );
      for (const id of ids) {
        for (const queue of queues)
          expect([`${id} ${queue}`, counts.get(`${id} ${queue}`)]).toEqual([`${id} ${queue}`, 1]);
      }
    }

    // Legs add up, record by record, in what the consumers printed (EMF, values in record order).
    const functions = readdirSync(deployment.layout.logsDir).filter((f) => f.includes("consumer"));
    expect(functions.length).toBe(4);
    let records = 0;
    for (const file of functions) {
      for (const blob of emfBlobs(file.replace(/\.log$/, ""))) {
        const endToEnd = asArray(blob.EndToEndLatency);
        if (endToEnd.length === 0) continue;
        const legs = [
          "ProducerToSnsLatency",
          "SnsToSqsLatency",
          "SqsDwellLatency",
          "SqsToConsumerLatency",
        ].map((m) => asArray(blob[m]));
        if (legs.some((leg) => leg.length !== endToEnd.length)) continue; // a mixed batch (SQS-direct records)
        endToEnd.forEach((total, i) => {
          const sum = legs.reduce((acc, leg) => acc + leg[i], 0);
          expect(Math.abs(sum - total)).toBeLessThanOrEqual(4);
          records += 1;
        });
        const directive = (
          blob._aws as { CloudWatchMetrics: { Namespace: string; Dimensions: string[][] }[] }
        ).CloudWatchMetrics[0];
        expect(directive.Namespace).toBe(METRIC_NAMESPACE);
        expect(directive.Dimensions.flat()).toEqual(
          expect.arrayContaining([SERVICE_DIMENSION, ROLE_DIMENSION]),
        );
        expect(["active", "replica"]).toContain(blob[ROLE_DIMENSION]);
        expect(String(blob[SERVICE_DIMENSION])).toMatch(/^fanout-(primary|secondary)$/);
      }
    }
    expect(records).toBeGreaterThanOrEqual(4 * 5);

    // What the consumers printed reached CloudWatch, in the queue's region, per stack and role.
    // The API's messages were only acknowledged above, and metrics are forwarded as the
    // consumers print them, so the counts are read until they arrive.
    const cloudWatch = new CloudWatchClient(clientConfig("us-west-2"));
    try {
      const sampleCounts = async (): Promise<number[]> => {
        const end = new Date(Math.ceil(Date.now() / 60_000) * 60_000 + 60_000);
        const { MetricDataResults } = await cloudWatch.send(
          new GetMetricDataCommand({
            StartTime: new Date(end.getTime() - 15 * 60_000),
            EndTime: end,
            MetricDataQueries: (["active", "replica"] as const).map((role, i) => ({
              Id: `q${i}`,
              MetricStat: {
                Metric: {
                  Namespace: METRIC_NAMESPACE,
                  MetricName: "EndToEndLatency",
                  Dimensions: [
                    {
                      Name: SERVICE_DIMENSION,
                      Value: role === "active" ? "fanout-secondary" : "fanout-primary",
                    },
                    { Name: ROLE_DIMENSION, Value: role },
                  ],
                },
                Period: 900,
                Stat: "SampleCount",
              },
            })),
          }),
        );
        return (MetricDataResults ?? []).map((r) => (r.Values ?? []).reduce((a, b) => a + b, 0));
      };
      // Secondary's active queue: 5 via SNS and 5 via the API; primary's replica in us-west-2: 5.
      const counts = await eventually(
        sampleCounts,
        ([active, replica]) => active >= 10 && replica >= 5,
      );
      expect(counts[0]).toBeGreaterThanOrEqual(10);
      expect(counts[1]).toBeGreaterThanOrEqual(5);
    } finally {
      cloudWatch.destroy();
    }

    const latency = await fanout(["latency", "--stack", "primary", "--since", "15m"]);
    expect(latency.code).toBe(0);
    expect(latency.out).toMatch(/EndToEnd/);
  });

  it("reports a malformed message, moves it to the DLQ after maxReceiveCount, and fanout redrive brings it back", async () => {
    const o = outputsOf("primary");
    const sqs = new SQSClient(clientConfig(o.region));
    let messageId: string;
    try {
      messageId =
        (
          await sqs.send(
            new SendMessageCommand({ QueueUrl: o.active_queue_url, MessageBody: "not json" }),
          )
        ).MessageId ?? "";
    } finally {
      sqs.destroy();
    }
    const failures = async () =>
      (await deliveries()).filter((r) => r.sqsMessageId === messageId && r.outcome === "failed");
    expect((await eventually(failures, (f) => f.length >= 2)).length).toBeGreaterThanOrEqual(2);
    expect(
      await eventually(
        () => queueDepth(o.active_dlq_url, o.region),
        (n) => n === 1,
        30_000,
      ),
    ).toBe(1);

    const redriven = Date.now();
    const result = await fanout([
      "redrive",
      "--stack",
      "primary",
      "--queue",
      "active",
      "--poll-interval",
      "1s",
    ]);
    expect(result.code).toBe(0);
    // Back in the queue, the consumer sees it (and rejects it) again.
    const again = await eventually(
      async () =>
        (await deliveries(redriven)).filter(
          (r) => r.outcome === "failed" && r.queueArn === o.active_queue_arn,
        ),
      (f) => f.length >= 1,
    );
    expect(again.length).toBeGreaterThanOrEqual(1);
  });

  it("plans no changes on a second cdktf deploy", async () => {
    deployment = await redeploy(deployment, { env, log: quiet });
    expect(deployment.deploy.noChanges).toEqual(["primary", "secondary"]);
  });

  it("loses nothing in a region-failure drill", async () => {
    const drill = await fanout([
      "drill",
      "--messages",
      "300",
      "--rate",
      "30",
      "--down-after",
      "1s",
      "--down-for",
      "3s",
    ]);
    expect(drill.out).toMatch(/duplicates \d+, lost 0/);
    expect(drill.out).toMatch(/failovers [1-9]\d*, fail-backs [1-9]\d*/);
    expect(drill.out).toContain("drill passed");
    expect(drill.code).toBe(0);
  });

  it("keeps replica messages in their queues in active-standby mode; a replica's filter policy keeps out what does not match; raw delivery hands consumers the message itself", async () => {
    deployment = await redeploy(deployment, {
      env: {
        ...env,
        FANOUT_CONSUMER_MODE: "active-standby",
        FANOUT_SUBSCRIPTION_FILTER_POLICIES: JSON.stringify({
          replicas: { policy: { kind: ["order"] } },
        }),
        FANOUT_RAW_MESSAGE_DELIVERY: "true",
      },
      log: quiet,
    });
    const status = await deployment.client.status();
    const replicas = status.pollers.filter((p) => p.functionName.includes("replica"));
    expect(replicas.length).toBe(2);
    expect(replicas.every((p) => !p.enabled)).toBe(true);

    const o = outputsOf("primary");
    const replicaUrl = o.replica_queue_urls["us-west-2"];
    const before = await queueDepth(replicaUrl, "us-west-2");
    const since = Date.now();
    const orders = await publish("primary", 3, "order");
    const others = await publish("primary", 2, "other");
    const sent = [...orders, ...others];
    const active = await eventually(
      async () => processedCounts(await deliveries(since), sent),
      (c) => c.size === 5,
    );
    // The active queue, unfiltered, gets all five; the standby replica keeps the three orders.
    expect([...active.keys()].every((k) => k.endsWith(o.active_queue_arn))).toBe(true);
    expect(await queueDepth(replicaUrl, "us-west-2")).toBe(before + 3);

    // Raw delivery: no envelope reached the consumer, which recorded the raw legs
    // (producer -> SQS, dwell, SQS -> consumer) and no SNS leg.
    const raw = (await deliveries(since)).filter(
      (r) => r.idempotencyKey !== undefined && sent.includes(r.idempotencyKey),
    );
    expect(raw.map((r) => r.snsMessageId)).toEqual(sent.map(() => undefined));
    const blobs = emfBlobs(raw[0].functionName).filter(
      (b) => (b._aws as { Timestamp: number }).Timestamp >= since,
    );
    const values = (metric: string) => blobs.flatMap((b) => asArray(b[metric]));
    expect(values("ProducerToSqsLatency").length).toBeGreaterThanOrEqual(5);
    expect(values("SnsToSqsLatency")).toEqual([]);
    expect(values("ProducerToSnsLatency")).toEqual([]);
  });

  it("leaves nothing in any region after cdktf destroy, with every resource type checked", async () => {
    const types = new Set<string>();
    for (const stack of deployment.stacks) {
      const json = JSON.parse(
        readFileSync(join(deployment.layout.stackDir(stack), "cdk.tf.json"), "utf8"),
      );
      Object.keys(json.resource).forEach((t) => types.add(t));
    }
    expect(uncoveredTypes(types)).toEqual([]);

    const result = await down({ stateDir, env, log: quiet });
    destroyed = true;
    expect(result.destroyed).toEqual(["primary", "secondary"]);
    expect(result.leftovers).toEqual([]);
    expect([...result.regions].sort()).toEqual(["us-east-1", "us-west-2"]);
  });
});
