/**
 * The consumer with the unit's idempotency store, against a mocked DynamoDB: the first
 * delivery of an SNS message is measured and marked completed, a copy already completed (in any
 * region) is skipped and counted, and a record that fails is never marked as done.
 */
import { createHash } from "node:crypto";
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  ProvisionedThroughputExceededException,
  PutItemCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import type { Context, SQSRecord } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { DUPLICATES_SKIPPED_METRIC } from "../../shared/metrics";
import { consumerEnvironment } from "../env";
import { createConsumer } from "../handler";
import { processOnce } from "../idempotency";
import * as latency from "../latency";
import { snsMessageId, storeKeyOf } from "../latency";
import { IDEMPOTENCY_ATTRIBUTE } from "../../shared/idempotency-key";
import { REPLICA_ENV, STARTED_AT, captureStdout, snsBody, sqsEvent, sqsRecord } from "./factories";

const TABLE = "fanout-primary-idempotency";
const EXPIRES_AFTER_SECONDS = 1_296_000;

const dynamodb = mockClient(DynamoDBClient);

/** The environment infrastructure gives the consumer of `role` in the `primary` unit. */
function storeEnv(
  role: "active" | "replica",
  functionName: string,
  rawMessageDelivery = false,
): NodeJS.ProcessEnv {
  return {
    ...consumerEnvironment({
      unitName: "fanout-primary",
      stack: "primary",
      role,
      idempotency: { tableName: TABLE, expiresAfterSeconds: EXPIRES_AFTER_SECONDS },
      rawMessageDelivery,
    }),
    AWS_LAMBDA_FUNCTION_NAME: functionName,
    AWS_REGION: role === "active" ? "us-east-1" : "us-west-2",
  };
}

const replica = () =>
  createConsumer(storeEnv("replica", "fanout-primary-replica-us-west-2-consumer"), {
    processOnce,
  });
const active = () =>
  createConsumer(storeEnv("active", "fanout-primary-active-consumer"), { processOnce });

/** A Lambda context with `remainingMs` left. */
function lambdaContext(remainingMs = 10_000): Context {
  return {
    awsRequestId: "req-1",
    functionName: "fanout-primary-replica-us-west-2-consumer",
    getRemainingTimeInMillis: () => remainingMs,
  } as unknown as Context;
}

async function invoke(consumer: ReturnType<typeof replica>, records: SQSRecord[]) {
  const capture = captureStdout();
  try {
    const response = await consumer.handler(sqsEvent(records), lambdaContext());
    const failed = response.batchItemFailures.map((f) => f.itemIdentifier).sort();
    const [blob] = capture.emf().filter((b) => !("Reason" in b));
    return { failed, blob, emf: capture.emf(), logs: capture.logs() };
  } finally {
    capture.restore();
  }
}

/** A valid SNS delivery of message `id`. */
const delivery = (id: string, messageId = `sqs-${id}`) =>
  sqsRecord({ messageId, body: snsBody({ recorded_at: STARTED_AT - 100 }, { messageId: id }) });

/** A valid raw delivery (no envelope) carrying `key` as its `idempotency_key` attribute. */
const rawDelivery = (key: string | undefined, messageId = `sqs-${key}`): SQSRecord => ({
  ...sqsRecord({ messageId, body: JSON.stringify({ recorded_at: STARTED_AT - 100 }) }),
  messageAttributes:
    key === undefined
      ? {}
      : { [IDEMPOTENCY_ATTRIBUTE]: { dataType: "String", stringValue: key } as never },
});

/** The key Powertools gives message `id` in unit `fanout-primary`. */
const keyOf = (id: string) =>
  `fanout-primary#${createHash("md5").update(JSON.stringify(id)).digest("base64")}`;

/** DynamoDB's answer to a conditional put on an item that exists with `status`. */
function existing(id: string, status: "COMPLETED" | "INPROGRESS") {
  const now = Date.now();
  return new ConditionalCheckFailedException({
    message: "The conditional request failed",
    $metadata: {},
    Item: {
      id: { S: keyOf(id) },
      status: { S: status },
      expiration: { N: String(Math.floor(now / 1000) + 3600) },
      in_progress_expiration: { N: String(now + 60_000) },
      data: { S: "processed" },
    },
  });
}

const putKeys = () => dynamodb.commandCalls(PutItemCommand).map((c) => c.args[0].input.Item?.id?.S);

beforeEach(() => {
  dynamodb.reset();
  dynamodb.on(PutItemCommand).resolves({});
  dynamodb.on(UpdateItemCommand).resolves({});
  dynamodb.on(DeleteItemCommand).resolves({});
});

describe("a consumer with the idempotency store", () => {
  it("measures a new message, then marks it completed under a key every region shares", async () => {
    const { failed, blob } = await invoke(replica(), [delivery("m-1")]);
    expect(failed).toEqual([]);
    expect(blob).toMatchObject({ Processed: 1, DuplicatesSkipped: 0, Failed: 0 });
    expect(putKeys()).toEqual([keyOf("m-1")]);
    const [put] = dynamodb.commandCalls(PutItemCommand);
    expect(put.args[0].input).toMatchObject({
      TableName: TABLE,
      Item: { status: { S: "INPROGRESS" } },
    });
    const [update] = dynamodb.commandCalls(UpdateItemCommand);
    expect(update.args[0].input).toMatchObject({
      TableName: TABLE,
      Key: { id: { S: keyOf("m-1") } },
      ExpressionAttributeValues: expect.objectContaining({ ":status": { S: "COMPLETED" } }),
    });
    expect(dynamodb.commandCalls(DeleteItemCommand)).toHaveLength(0);
  });

  it("keys by the unit and the SNS MessageId, not by the function or the SQS message id", async () => {
    await invoke(active(), [delivery("m-2", "sqs-in-us-east-1")]);
    await invoke(replica(), [delivery("m-2", "sqs-in-us-west-2")]);
    expect(putKeys()).toEqual([keyOf("m-2"), keyOf("m-2")]);
  });

  it("keys a raw delivery by its idempotency_key attribute, the same in every region, and skips its copy", async () => {
    const rawActive = createConsumer(storeEnv("active", "fanout-primary-active-consumer", true), {
      processOnce,
    });
    const rawReplica = createConsumer(
      storeEnv("replica", "fanout-primary-replica-us-west-2-consumer", true),
      { processOnce },
    );
    const first = await invoke(rawActive, [rawDelivery("k-1", "sqs-in-us-east-1")]);
    expect(first.blob).toMatchObject({ Processed: 1, DuplicatesSkipped: 0 });
    expect(putKeys()).toEqual([keyOf("idempotency_key:k-1")]);
    dynamodb
      .on(PutItemCommand, { Item: { id: { S: keyOf("idempotency_key:k-1") } } })
      .rejects(existing("idempotency_key:k-1", "COMPLETED"));
    const copy = await invoke(rawReplica, [rawDelivery("k-1", "sqs-in-us-west-2")]);
    expect(copy.failed).toEqual([]);
    expect(copy.blob).toMatchObject({ Processed: 0, DuplicatesSkipped: 1 });
  });

  it("measures a raw delivery without an idempotency key and leaves the store alone", async () => {
    const rawReplica = createConsumer(
      storeEnv("replica", "fanout-primary-replica-us-west-2-consumer", true),
      { processOnce },
    );
    const { failed, blob } = await invoke(rawReplica, [rawDelivery(undefined, "sqs-no-key")]);
    expect(failed).toEqual([]);
    expect(blob).toMatchObject({ Processed: 1, DuplicatesSkipped: 0 });
    expect(putKeys()).toEqual([]);
  });

  it("marks records to expire after the configured time, in progress until the invocation's end", async () => {
    const before = Date.now();
    await invoke(replica(), [delivery("m-3")]);
    const item = dynamodb.commandCalls(PutItemCommand)[0].args[0].input.Item!;
    const expiry = Number(item.expiration.N);
    expect(expiry).toBeGreaterThanOrEqual(Math.floor(before / 1000) + EXPIRES_AFTER_SECONDS);
    expect(expiry).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + EXPIRES_AFTER_SECONDS);
    const inProgress = Number(item.in_progress_expiration.N);
    expect(inProgress).toBeGreaterThanOrEqual(before + 10_000);
    expect(inProgress).toBeLessThanOrEqual(Date.now() + 10_000);
  });

  it("skips and counts a message completed before, without measuring it", async () => {
    dynamodb
      .on(PutItemCommand, { Item: { id: { S: keyOf("dup") } } })
      .rejects(existing("dup", "COMPLETED"));
    const { failed, blob, logs } = await invoke(replica(), [delivery("dup"), delivery("new")]);
    expect(failed).toEqual([]);
    expect(blob).toMatchObject({ BatchSize: 2, Processed: 1, Failed: 0, DuplicatesSkipped: 1 });
    expect([blob.EndToEndLatency].flat()).toHaveLength(1);
    expect(blob._aws.CloudWatchMetrics[0].Metrics).toContainEqual({
      Name: DUPLICATES_SKIPPED_METRIC.name,
      Unit: "Count",
    });
    expect(logs).toContainEqual(
      expect.objectContaining({ message: "Record skipped: processed before", storeKey: "dup" }),
    );
    // Only the new message is marked completed.
    expect(dynamodb.commandCalls(UpdateItemCommand).map((c) => c.args[0].input.Key?.id?.S)).toEqual(
      [keyOf("new")],
    );
  });

  it("reports a message another consumer holds in progress, to see it again later", async () => {
    dynamodb.on(PutItemCommand).rejects(existing("busy", "INPROGRESS"));
    const { failed, blob } = await invoke(replica(), [delivery("busy", "sqs-busy")]);
    expect(failed).toEqual(["sqs-busy"]);
    expect(blob).toMatchObject({ Processed: 0, Failed: 1, DuplicatesSkipped: 0 });
    expect(dynamodb.commandCalls(UpdateItemCommand)).toHaveLength(0);
  });

  it("does not mark a record done when its work fails: the mark is deleted and the record reported", async () => {
    const spy = jest.spyOn(latency, "computeLegs").mockImplementationOnce(() => {
      throw new Error("measurement failed");
    });
    try {
      const { failed, blob, emf } = await invoke(replica(), [delivery("boom", "sqs-boom")]);
      expect(failed).toEqual(["sqs-boom"]);
      expect(blob).toMatchObject({ Processed: 0, Failed: 1, DuplicatesSkipped: 0 });
      expect(emf.find((b) => b.Reason === "Unexpected")).toMatchObject({ FailedRecords: 1 });
    } finally {
      spy.mockRestore();
    }
    expect(dynamodb.commandCalls(UpdateItemCommand)).toHaveLength(0);
    const [del] = dynamodb.commandCalls(DeleteItemCommand);
    expect(del.args[0].input).toMatchObject({
      TableName: TABLE,
      Key: { id: { S: keyOf("boom") } },
    });
  });

  it("reports a record when the store cannot be written, and measures nothing for it", async () => {
    dynamodb
      .on(PutItemCommand)
      .rejects(new ProvisionedThroughputExceededException({ message: "slow down", $metadata: {} }));
    const { failed, blob, logs } = await invoke(replica(), [delivery("x", "sqs-x")]);
    expect(failed).toEqual(["sqs-x"]);
    expect(blob).toMatchObject({ Processed: 0, Failed: 1 });
    expect(logs).toContainEqual(
      expect.objectContaining({ level: "ERROR", messageId: "sqs-x", reason: "Unexpected" }),
    );
    expect(dynamodb.commandCalls(UpdateItemCommand)).toHaveLength(0);
  });

  it("counts a record as failed, not processed, when the store cannot mark it completed", async () => {
    dynamodb
      .on(UpdateItemCommand)
      .rejects(new ProvisionedThroughputExceededException({ message: "slow down", $metadata: {} }));
    const { failed, blob } = await invoke(replica(), [delivery("late", "sqs-late")]);
    expect(failed).toEqual(["sqs-late"]);
    expect(blob).toMatchObject({ Processed: 0, Failed: 1, DuplicatesSkipped: 0 });
    expect(blob).not.toHaveProperty("EndToEndLatency");
  });

  it("never asks the store about bad records or messages sent straight to the queue", async () => {
    const direct = sqsRecord({ body: JSON.stringify({ recorded_at: STARTED_AT - 100 }) });
    const bad = sqsRecord({ messageId: "bad", body: snsBody({}, { messageId: "m-bad" }) });
    const { failed, blob } = await invoke(replica(), [direct, bad]);
    expect(failed).toEqual(["bad"]);
    expect(blob).toMatchObject({ Processed: 1, Failed: 1, DuplicatesSkipped: 0 });
    expect(dynamodb.calls()).toHaveLength(0);
  });

  it("reads nothing back for a new message (one conditional put, one update)", async () => {
    await invoke(replica(), [delivery("m-4")]);
    expect(dynamodb.commandCalls(GetItemCommand)).toHaveLength(0);
    expect(dynamodb.calls()).toHaveLength(2);
  });
});

describe("a consumer without the store", () => {
  it("emits no DuplicatesSkipped and calls no DynamoDB", async () => {
    const { blob } = await invoke(createConsumer(REPLICA_ENV), [delivery("m-5")]);
    expect(blob).toMatchObject({ Processed: 1 });
    expect(blob).not.toHaveProperty(DUPLICATES_SKIPPED_METRIC.name);
    expect(dynamodb.calls()).toHaveLength(0);
  });
});

describe("the plain entry's wiring", () => {
  it("refuses an environment naming a store when given no way to build one", () => {
    expect(() => createConsumer(storeEnv("active", "f"))).toThrow(
      'Invalid FANOUT_IDEMPOTENCY_TABLE "fanout-primary-idempotency": this package has no idempotency store; deploy lambdas/consumer/idempotent.ts',
    );
  });
});

describe("snsMessageId", () => {
  it("is the envelope's MessageId, and undefined for anything else", () => {
    expect(snsMessageId(delivery("abc"))).toBe("abc");
    expect(snsMessageId({ body: JSON.stringify({ recorded_at: 1 }) })).toBeUndefined();
    expect(snsMessageId({ body: "{not json" })).toBeUndefined();
    expect(snsMessageId({ body: snsBody({}, { messageId: "" }) })).toBeUndefined();
  });
});

describe("storeKeyOf", () => {
  it("is the SNS MessageId on the SNS path, the named idempotency key on the raw path, nothing sent straight", () => {
    expect(storeKeyOf(delivery("abc"), "sns")).toBe("abc");
    expect(storeKeyOf(rawDelivery("k"), "raw")).toBe("idempotency_key:k");
    expect(storeKeyOf(rawDelivery(undefined), "raw")).toBeUndefined();
    expect(storeKeyOf(rawDelivery(""), "raw")).toBeUndefined();
    expect(storeKeyOf(rawDelivery("k"), "direct")).toBeUndefined();
  });
});
