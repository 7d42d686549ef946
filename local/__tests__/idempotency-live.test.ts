/**
 * The idempotent consumer against a real DynamoDB table in the emulator, not a mock: the
 * stack's consumer package (synthesized with `idempotencyStore` on), run by the local function
 * host with the environment the stack gives it, and the unit's table created as the stack
 * synthesizes it.
 *
 * moto cannot replicate a global table, so the unit's table is ONE regional table here: the
 * table's home region, where both the active consumer and the replica consumer are hosted.
 * That one table stands in for the replication, which in AWS makes a mark written in one
 * region visible in the others. The failover replay is the same SNS message arriving as two
 * SQS records, one from the active queue (us-east-1) and one from the replica queue
 * (us-west-2): the first is processed, the second skipped and counted.
 */
import { join } from "node:path";
import {
  CreateTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  ScanCommand,
  UpdateTimeToLiveCommand,
} from "@aws-sdk/client-dynamodb";
import type { SQSEvent, SQSRecord } from "aws-lambda";
import { snsBody, sqsRecord, type EmfBlob } from "../../lambdas/consumer/__tests__/factories";
import { CONSUMER_ENV } from "../../lambdas/consumer/env";
import { DUPLICATES_SKIPPED_METRIC, LATENCY_METRICS } from "../../lambdas/shared/metrics";
import { defaultConfig, stackJsons, synthOutdir } from "../../__tests__/support/synth";
import { StackIndex } from "../../inspect/stack-index";
import { createFunctionHost, type FunctionHost } from "../runtime/functions";
import { emulatorClientConfig, emulatorSuite, useEmulator } from "./support/emulator";
import { deployedFunctionOf, EMULATOR_ACCOUNT, regionOfBlock } from "./support/synthesized";

/** A unit with the store (it needs active-standby). */
const STORE = { FANOUT_CONSUMER_MODE: "active-standby", FANOUT_IDEMPOTENCY_STORE: "true" };
const STACK = "primary";
const ACTIVE_QUEUE = { region: "us-east-1", name: "fanout-primary-active" };
const REPLICA_QUEUE = { region: "us-west-2", name: "fanout-primary-replica-us-west-2" };

type Body = Record<string, unknown>;

/** The stack's table, as CreateTable and UpdateTimeToLive take it. */
function tableRequests(table: Body) {
  const attributes = table.attribute as { name: string; type: "S" | "N" | "B" }[];
  const ttl = table.ttl as { attribute_name: string; enabled: boolean };
  const tableName = String(table.name);
  return {
    create: new CreateTableCommand({
      TableName: tableName,
      BillingMode: table.billing_mode as "PAY_PER_REQUEST",
      KeySchema: [
        { AttributeName: String(table.hash_key), KeyType: "HASH" },
        ...(table.range_key
          ? [{ AttributeName: String(table.range_key), KeyType: "RANGE" as const }]
          : []),
      ],
      AttributeDefinitions: attributes.map((a) => ({
        AttributeName: a.name,
        AttributeType: a.type,
      })),
    }),
    ttl: new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { AttributeName: ttl.attribute_name, Enabled: ttl.enabled },
    }),
  };
}

/** The stack's consumer of `role` as the function host runs it, hosted in `region`. */
function consumerOf(index: StackIndex, stackDir: string, role: string, region: string) {
  const fn = index
    .resources("aws_lambda_function")
    .find(
      (f) => (f.body.environment as { variables: Body }).variables[CONSUMER_ENV.queueRole] === role,
    )!;
  return deployedFunctionOf(index, stackDir, fn, region);
}

/** SNS message `snsMessageId` as SQS record `sqsMessageId` of `queue`, timestamped now. */
function delivery(
  queue: typeof ACTIVE_QUEUE,
  snsMessageId: string,
  sqsMessageId: string,
): SQSRecord {
  const now = Date.now();
  return {
    ...sqsRecord({
      messageId: sqsMessageId,
      body: snsBody(
        { recorded_at: now - 50, seq: 1, producer: "idempotency-live" },
        { messageId: snsMessageId, timestamp: new Date(now - 40).toISOString() },
      ),
      attributes: {
        SentTimestamp: String(now - 30),
        ApproximateFirstReceiveTimestamp: String(now - 20),
      },
    }),
    eventSourceARN: `arn:aws:sqs:${queue.region}:${EMULATOR_ACCOUNT}:${queue.name}`,
    awsRegion: queue.region,
  };
}

/** One consumer's invocations: the answer, and its EMF blob (the one without a Reason). */
function consumer(host: FunctionHost, lines: string[]) {
  return async (records: SQSRecord[]) => {
    lines.length = 0;
    const answer = await host.invoke({ Records: records } satisfies SQSEvent);
    if (!answer.ok) throw new Error(`${answer.errorType}: ${answer.errorMessage}`);
    const blobs = lines
      .filter((line) => line.startsWith("{") && line.includes('"_aws"'))
      .map((line) => JSON.parse(line) as EmfBlob)
      .filter((blob) => !("Reason" in blob));
    expect(blobs).toHaveLength(1);
    const logs = lines.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Body);
    return { result: answer.result as { batchItemFailures: unknown[] }, blob: blobs[0], logs };
  };
}

emulatorSuite("idempotent consumer on one regional table")(
  "idempotent consumer on one regional table",
  () => {
    const emulator = useEmulator("idempotency-live");
    let dynamodb: DynamoDBClient;
    let tableName: string;
    let expiresAfterSeconds: number;
    let ttlAttribute: string;
    let keyAttribute: string;
    const hosts: FunctionHost[] = [];
    const warnings: string[] = [];
    let active: ReturnType<typeof consumer>;
    let replica: ReturnType<typeof consumer>;

    beforeAll(async () => {
      const { info, stateDir } = emulator();
      const config = defaultConfig(STORE);
      const outdir = synthOutdir(config);
      const stack = stackJsons(config).find((s) => s.name === STACK)!;
      const stackDir = join(outdir, "stacks", STACK);

      const index = new StackIndex(stack);
      const tableBlock = index.resources("aws_dynamodb_table")[0];
      const table = tableBlock.body;
      const region = regionOfBlock(index, tableBlock);
      tableName = String(table.name);
      keyAttribute = String(table.hash_key);
      ttlAttribute = (table.ttl as { attribute_name: string }).attribute_name;
      dynamodb = new DynamoDBClient(emulatorClientConfig(info, region));
      const requests = tableRequests(table);
      await dynamodb.send(requests.create);
      await dynamodb.send(requests.ttl);

      const host = (role: string) => {
        const fn = consumerOf(index, stackDir, role, region);
        expect(fn.environment[CONSUMER_ENV.idempotencyTable]).toBe(tableName);
        expiresAfterSeconds = Number(fn.environment[CONSUMER_ENV.idempotencyExpiresAfterSeconds]);
        const lines: string[] = [];
        const created = createFunctionHost(fn, {
          stateDir,
          endpointUrl: info.url,
          maxEnvironments: 1,
          onLog: (line) => lines.push(line),
          onWarning: (warning) => warnings.push(warning),
        });
        hosts.push(created);
        return consumer(created, lines);
      };
      active = host("active");
      replica = host("replica");
    }, 120_000);

    afterAll(async () => {
      await Promise.all(hosts.map((h) => h.close()));
      dynamodb?.destroy();
    }, 30_000);

    const items = async () =>
      (await dynamodb.send(new ScanCommand({ TableName: tableName }))).Items ?? [];

    it("creates the table as the stack synthesizes it, TTL on the attribute Powertools writes", async () => {
      const { TimeToLiveDescription } = await dynamodb.send(
        new DescribeTimeToLiveCommand({ TableName: tableName }),
      );
      expect(TimeToLiveDescription).toMatchObject({
        AttributeName: ttlAttribute,
        TimeToLiveStatus: "ENABLED",
      });
    });

    it("processes a message once: the replica's copy after failover is skipped and counted", async () => {
      const before = Date.now();
      const first = await active([delivery(ACTIVE_QUEUE, "sns-replayed", "sqs-active-1")]);
      expect(first.result.batchItemFailures).toEqual([]);
      expect(first.blob).toMatchObject({
        BatchSize: 1,
        Processed: 1,
        Failed: 0,
        DuplicatesSkipped: 0,
      });
      expect([first.blob[LATENCY_METRICS.EndToEndLatency.name]].flat()).toHaveLength(1);

      const marks = await items();
      expect(marks).toHaveLength(1);
      expect(marks[0].status).toEqual({ S: "COMPLETED" });
      expect(marks[0][keyAttribute]?.S).toMatch(/^fanout-primary#/);
      const expiry = Number(marks[0][ttlAttribute]?.N);
      expect(expiry).toBeGreaterThanOrEqual(Math.floor(before / 1000) + expiresAfterSeconds);
      expect(expiry).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + expiresAfterSeconds);

      const second = await replica([delivery(REPLICA_QUEUE, "sns-replayed", "sqs-replica-1")]);
      expect(second.result.batchItemFailures).toEqual([]);
      expect(second.blob).toMatchObject({
        BatchSize: 1,
        Processed: 0,
        Failed: 0,
        DuplicatesSkipped: 1,
      });
      expect(second.blob._aws.CloudWatchMetrics[0].Metrics).toContainEqual({
        Name: DUPLICATES_SKIPPED_METRIC.name,
        Unit: "Count",
      });
      expect(second.blob[LATENCY_METRICS.EndToEndLatency.name]).toBeUndefined();
      expect(second.logs).toContainEqual(
        expect.objectContaining({
          message: "Record skipped: processed before",
          messageId: "sqs-replica-1",
          storeKey: "sns-replayed",
        }),
      );
      expect(await items()).toHaveLength(1);
    });

    it("processes a different message in the same table", async () => {
      const other = await replica([delivery(REPLICA_QUEUE, "sns-other", "sqs-replica-2")]);
      expect(other.result.batchItemFailures).toEqual([]);
      expect(other.blob).toMatchObject({ Processed: 1, DuplicatesSkipped: 0, Failed: 0 });
      const marks = await items();
      expect(marks).toHaveLength(2);
      expect(marks.every((m) => m.status?.S === "COMPLETED")).toBe(true);
      expect(warnings).toEqual([]);
    });
  },
);
