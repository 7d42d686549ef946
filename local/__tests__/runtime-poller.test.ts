import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SQSClient,
  type Message,
} from "@aws-sdk/client-sqs";
import type { SQSEvent, SQSRecord } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import fc from "fast-check";
import { snsBody } from "../../lambdas/consumer/__tests__/factories";
import {
  batchingOf,
  batchVerdict,
  createPoller,
  messageAttributesOf,
  messageKeysOf,
  snsMessageIdOf,
  sqsRecordOf,
} from "../runtime/poller";
import type {
  DeliveryRecord,
  DeployedFunction,
  DeployedMapping,
  FunctionInvoker,
  InvokeResult,
  QueuePoller,
} from "../runtime/types";

const QUEUE_ARN = "arn:aws:sqs:us-west-2:123456789012:fanout-primary-replica-us-west-2";
const QUEUE_URL = "http://127.0.0.1:4566/123456789012/fanout-primary-replica-us-west-2";

const MAPPING: DeployedMapping = {
  stack: "primary",
  address: "aws_lambda_event_source_mapping.replica",
  uuid: "37813328-f52f-4578-b8dd-423636974654",
  functionName: "fanout-primary-replica-us-west-2-consumer",
  queueArn: QUEUE_ARN,
  queueUrl: QUEUE_URL,
  region: "us-west-2",
  batchSize: 10,
  batchingWindowSeconds: 0,
  maxConcurrency: 2,
  functionResponseTypes: ["ReportBatchItemFailures"],
  enabled: true,
};

let sequence = 0;

/** A message as ReceiveMessage answers it; `idempotencyKey` as an SQS message attribute. */
function message(
  props: { body?: string; id?: string; receiveCount?: number; idempotencyKey?: string } = {},
): Message {
  sequence += 1;
  const id = props.id ?? `m-${sequence}`;
  return {
    ...(props.idempotencyKey !== undefined
      ? {
          MessageAttributes: {
            idempotency_key: { DataType: "String", StringValue: props.idempotencyKey },
          },
        }
      : {}),
    MessageId: id,
    ReceiptHandle: `rh-${id}`,
    MD5OfBody: "d41d8cd98f00b204e9800998ecf8427e",
    Body: props.body ?? `{"n":${sequence}}`,
    Attributes: {
      SenderId: "AIDAEXAMPLE",
      ApproximateFirstReceiveTimestamp: "1732417200030",
      ApproximateReceiveCount: String(props.receiveCount ?? 1),
      SentTimestamp: "1732417200020",
    },
  };
}

/** A fake function: records each event, answers with `answer(event)` after `delayMs`. */
class FakeInvoker implements FunctionInvoker {
  readonly function = { name: MAPPING.functionName } as DeployedFunction;
  readonly events: SQSEvent[] = [];
  inFlight = 0;
  maxInFlight = 0;

  constructor(
    private readonly answer: (event: SQSEvent) => InvokeResult | Promise<InvokeResult> = () => ({
      ok: true,
      result: { batchItemFailures: [] },
      durationMs: 1,
    }),
    private readonly delayMs = 0,
  ) {}

  async invoke(event: unknown): Promise<InvokeResult> {
    this.events.push(event as SQSEvent);
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await new Promise((resolve) => setTimeout(resolve, this.delayMs));
      return await this.answer(event as SQSEvent);
    } finally {
      this.inFlight -= 1;
    }
  }

  async close(): Promise<void> {}
}

class MemoryJournal {
  readonly records: DeliveryRecord[] = [];
  append(...records: DeliveryRecord[]): void {
    this.records.push(...records);
  }
}

const ok = (result: unknown): InvokeResult => ({ ok: true, result, durationMs: 1 });

/** Polls until `condition` holds (at most `ms`). */
async function until(condition: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe("SQS poller", () => {
  const sqsMock = mockClient(SQSClient);
  let sqs: SQSClient;

  beforeEach(() => {
    sqsMock.reset();
    sqsMock.on(DeleteMessageBatchCommand).callsFake((input) => ({
      Successful: input.Entries.map((entry: { Id: string }) => ({ Id: entry.Id })),
      Failed: [],
    }));
    sqs = new SQSClient({ region: "us-west-2", endpoint: "http://127.0.0.1:4566" });
  });

  /**
   * A queue of `messages`: each ReceiveMessage takes up to its MaxNumberOfMessages (and at most
   * `perReceive`); an empty queue answers nothing after a short wait.
   */
  function queue(messages: Message[], perReceive = 10): void {
    const waiting = [...messages];
    sqsMock.on(ReceiveMessageCommand).callsFake(async (input: { MaxNumberOfMessages: number }) => {
      if (waiting.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
      return { Messages: waiting.splice(0, Math.min(input.MaxNumberOfMessages, perReceive)) };
    });
  }

  const pollers: QueuePoller[] = [];
  /** A poller that afterEach stops, even when its test failed. */
  function track(...args: Parameters<typeof createPoller>): QueuePoller {
    const created = createPoller(...args);
    pollers.push(created);
    return created;
  }

  afterEach(async () => {
    await Promise.all(pollers.splice(0).map((p) => p.stop()));
  });

  function deleted(): string[] {
    return sqsMock
      .commandCalls(DeleteMessageBatchCommand)
      .flatMap((call) => call.args[0].input.Entries!.map((entry) => entry.ReceiptHandle!));
  }

  it("receives with every attribute, up to min(batch size, 10) messages and a short long-poll", async () => {
    queue([message()]);
    const invoker = new FakeInvoker();
    const poller = track({ ...MAPPING, batchSize: 25 }, invoker, {
      sqs,
      journal: new MemoryJournal(),
    });
    poller.start();
    await until(() => invoker.events.length === 1);
    await poller.stop();
    expect(sqsMock.commandCalls(ReceiveMessageCommand)[0].args[0].input).toEqual({
      QueueUrl: QUEUE_URL,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 1,
      AttributeNames: ["All"],
      MessageSystemAttributeNames: ["All"],
      MessageAttributeNames: ["All"],
    });
  });

  it("builds the SQSEvent as Lambda does", async () => {
    const received = message({ id: "abc" });
    received.MessageAttributes = {
      trace: { DataType: "String", StringValue: "t-1" },
      blob: { DataType: "Binary", BinaryValue: new Uint8Array([1, 2, 3]) },
    };
    received.MD5OfMessageAttributes = "0123456789abcdef0123456789abcdef";
    queue([received]);
    const invoker = new FakeInvoker();
    const poller = track(MAPPING, invoker, { sqs, journal: new MemoryJournal() });
    poller.start();
    await until(() => invoker.events.length === 1);
    await poller.stop();
    const [record] = invoker.events[0].Records;
    expect(record).toEqual({
      messageId: "abc",
      receiptHandle: "rh-abc",
      body: received.Body,
      attributes: {
        ApproximateReceiveCount: "1",
        SentTimestamp: "1732417200020",
        SenderId: "AIDAEXAMPLE",
        ApproximateFirstReceiveTimestamp: "1732417200030",
      },
      messageAttributes: {
        trace: {
          stringValue: "t-1",
          stringListValues: [],
          binaryListValues: [],
          dataType: "String",
        },
        blob: {
          binaryValue: "AQID",
          stringListValues: [],
          binaryListValues: [],
          dataType: "Binary",
        },
      },
      md5OfBody: "d41d8cd98f00b204e9800998ecf8427e",
      md5OfMessageAttributes: "0123456789abcdef0123456789abcdef",
      eventSource: "aws:sqs",
      eventSourceARN: QUEUE_ARN,
      awsRegion: "us-west-2",
    });
    // The standard attributes come first, in Lambda's order, as the keys are printed.
    expect(Object.keys(record.attributes)).toEqual([
      "ApproximateReceiveCount",
      "SentTimestamp",
      "SenderId",
      "ApproximateFirstReceiveTimestamp",
    ]);
  });

  it("keeps FIFO attributes after the standard ones", () => {
    const fifo = message();
    fifo.Attributes = {
      ...fifo.Attributes,
      MessageGroupId: "g",
      SequenceNumber: "1",
      MessageDeduplicationId: "d",
    };
    const record = sqsRecordOf(fifo, MAPPING);
    expect(Object.keys(record.attributes).slice(4).sort()).toEqual([
      "MessageDeduplicationId",
      "MessageGroupId",
      "SequenceNumber",
    ]);
    expect(messageAttributesOf(undefined)).toEqual({});
  });

  it("with batching window 0, invokes each receive as its own batch", async () => {
    queue([message(), message(), message()], 2);
    const invoker = new FakeInvoker();
    const poller = track(MAPPING, invoker, { sqs, journal: new MemoryJournal() });
    poller.start();
    await until(() => invoker.events.length === 2);
    await poller.stop();
    expect(invoker.events.map((event) => event.Records.length)).toEqual([2, 1]);
  });

  it("with a batching window, gathers receives into one batch up to the batch size", async () => {
    queue(
      Array.from({ length: 6 }, () => message()),
      2,
    );
    const invoker = new FakeInvoker();
    const mapping = { ...MAPPING, batchSize: 5, batchingWindowSeconds: 1 };
    const poller = track(mapping, invoker, { sqs, journal: new MemoryJournal() });
    poller.start();
    await until(() => invoker.events.length === 2);
    await poller.stop();
    // 2 + 2 + (receive of at most 1) = 5, then the remaining one alone once the window closes.
    expect(invoker.events.map((event) => event.Records.length)).toEqual([5, 1]);
    const asked = sqsMock
      .commandCalls(ReceiveMessageCommand)
      .map((call) => call.args[0].input.MaxNumberOfMessages);
    expect(asked.slice(0, 3)).toEqual([5, 3, 1]);
  });

  it("with a batching window, invokes what it has when the window closes", async () => {
    queue([message()]);
    const invoker = new FakeInvoker();
    const mapping = { ...MAPPING, batchingWindowSeconds: 1 };
    const poller = track(mapping, invoker, { sqs, journal: new MemoryJournal() });
    const started = Date.now();
    poller.start();
    await until(() => invoker.events.length === 1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    await poller.stop();
    expect(invoker.events[0].Records).toHaveLength(1);
  });

  it("on a FIFO queue, takes no batching window and at most 10, the groups' records in order", async () => {
    const grouped = ["a", "b", "a", "b", "a"].map((group, i) => {
      const m = message({ id: `${group}-${i}` });
      m.Attributes = { ...m.Attributes, MessageGroupId: group, SequenceNumber: String(i) };
      return m;
    });
    queue(grouped, 3);
    const invoker = new FakeInvoker();
    const fifo = {
      ...MAPPING,
      queueArn: `${QUEUE_ARN}.fifo`,
      queueUrl: `${QUEUE_URL}.fifo`,
      batchSize: 25,
      batchingWindowSeconds: 5,
    };
    const poller = track(fifo, invoker, { sqs, journal: new MemoryJournal() });
    poller.start();
    await until(() => invoker.events.length === 2);
    await poller.stop();
    // Each receive is its own batch (a window would have gathered all five into one).
    const batches = invoker.events.map((event) => event.Records.map((r) => r.messageId));
    expect(batches).toEqual([
      ["a-0", "b-1", "a-2"],
      ["b-3", "a-4"],
    ]);
    expect(invoker.events[0].Records[0].attributes).toMatchObject({ MessageGroupId: "a" });
    const asked = sqsMock
      .commandCalls(ReceiveMessageCommand)
      .map((call) => call.args[0].input.MaxNumberOfMessages);
    expect(asked.slice(0, 2)).toEqual([10, 10]);
  });

  it("batchingOf: a FIFO queue's batch is at most 10 without a window; a standard one's as mapped", () => {
    const standard = { queueArn: QUEUE_ARN, batchSize: 100, batchingWindowSeconds: 2 };
    expect(batchingOf(standard)).toEqual({ batchSize: 100, windowMs: 2000 });
    expect(batchingOf({ ...standard, queueArn: `${QUEUE_ARN}.fifo` })).toEqual({
      batchSize: 10,
      windowMs: 0,
    });
    expect(batchingOf({ ...standard, queueArn: `${QUEUE_ARN}.fifo`, batchSize: 4 })).toEqual({
      batchSize: 4,
      windowMs: 0,
    });
  });

  it("runs at most maxConcurrency invocations at a time", async () => {
    queue(
      Array.from({ length: 6 }, () => message()),
      1,
    );
    const invoker = new FakeInvoker(undefined, 100);
    const poller = track(MAPPING, invoker, { sqs, journal: new MemoryJournal() });
    poller.start();
    await until(() => invoker.events.length >= 3);
    expect(poller.stats().inFlight).toBeLessThanOrEqual(2);
    await until(() => invoker.events.length === 6);
    await poller.stop();
    expect(invoker.maxInFlight).toBe(2);
  });

  it("deletes the records not listed in batchItemFailures and journals every outcome", async () => {
    const good = message({ id: "good", body: snsBody({ recorded_at: 1 }, { messageId: "sns-1" }) });
    const bad = message({ id: "bad", body: "{not json", receiveCount: 3 });
    queue([good, bad]);
    const journal = new MemoryJournal();
    const invoker = new FakeInvoker(() => ok({ batchItemFailures: [{ itemIdentifier: "bad" }] }));
    const poller = track(MAPPING, invoker, { sqs, journal, clock: () => 1234 });
    poller.start();
    await until(() => journal.records.length === 2);
    await poller.stop();
    expect(deleted()).toEqual(["rh-good"]);
    const common = {
      at: 1234,
      stack: "primary",
      functionName: MAPPING.functionName,
      region: "us-west-2",
      queueArn: QUEUE_ARN,
    };
    expect(journal.records).toEqual([
      {
        ...common,
        sqsMessageId: "good",
        snsMessageId: "sns-1",
        receiveCount: 1,
        outcome: "processed",
      },
      { ...common, sqsMessageId: "bad", receiveCount: 3, outcome: "failed" },
    ]);
    expect(poller.stats()).toMatchObject({ invocations: 1, processed: 1, failed: 1, inFlight: 0 });
  });

  it("journals a raw delivery by its idempotency key and an envelope by both keys", async () => {
    // Raw message delivery: the body is the message itself, SNS passes the message attributes
    // on as SQS message attributes.
    const raw = message({ id: "raw", body: '{"recorded_at":1}', idempotencyKey: "key-raw" });
    const enveloped = message({
      id: "env",
      body: snsBodyWithKey({ recorded_at: 1 }, "sns-2", "key-env"),
    });
    queue([raw, enveloped]);
    const journal = new MemoryJournal();
    const poller = track(MAPPING, new FakeInvoker(), { sqs, journal, clock: () => 1 });
    poller.start();
    await until(() => journal.records.length === 2);
    await poller.stop();
    const byId = new Map(journal.records.map((r) => [r.sqsMessageId, r]));
    expect(byId.get("raw")).toMatchObject({ idempotencyKey: "key-raw", outcome: "processed" });
    expect(byId.get("raw")).not.toHaveProperty("snsMessageId");
    expect(byId.get("env")).toMatchObject({ snsMessageId: "sns-2", idempotencyKey: "key-env" });
  });

  it("deletes nothing when the invocation fails, and shows the error", async () => {
    queue([message(), message()]);
    const journal = new MemoryJournal();
    const errors: string[] = [];
    const invoker = new FakeInvoker(() => ({
      ok: false,
      errorType: "Sandbox.Timedout",
      errorMessage: "Task timed out after 30.00 seconds",
      durationMs: 30000,
    }));
    const poller = track(MAPPING, invoker, {
      sqs,
      journal,
      onError: (e) => errors.push(e.message),
    });
    poller.start();
    await until(() => journal.records.length === 2);
    await poller.stop();
    expect(sqsMock.commandCalls(DeleteMessageBatchCommand)).toHaveLength(0);
    expect(journal.records.map((r) => r.outcome)).toEqual(["failed", "failed"]);
    expect(poller.stats().lastError).toBe(
      `${MAPPING.functionName}: Sandbox.Timedout: Task timed out after 30.00 seconds`,
    );
    expect(errors).toContain(poller.stats().lastError);
  });

  it("fails the whole batch on an itemIdentifier that is not in the batch", async () => {
    queue([message({ id: "one" }), message({ id: "two" })]);
    const journal = new MemoryJournal();
    const invoker = new FakeInvoker(() =>
      ok({ batchItemFailures: [{ itemIdentifier: "elsewhere" }] }),
    );
    const poller = track(MAPPING, invoker, { sqs, journal });
    poller.start();
    await until(() => journal.records.length === 2);
    await poller.stop();
    expect(deleted()).toEqual([]);
    expect(journal.records.map((r) => r.outcome)).toEqual(["failed", "failed"]);
  });

  it("deletes the whole batch on success without ReportBatchItemFailures, whatever the answer", async () => {
    queue([message({ id: "x" }), message({ id: "y" })]);
    const invoker = new FakeInvoker(() => ok({ batchItemFailures: [{ itemIdentifier: "x" }] }));
    const mapping = { ...MAPPING, functionResponseTypes: [] };
    const poller = track(mapping, invoker, { sqs, journal: new MemoryJournal() });
    poller.start();
    await until(() => deleted().length === 2);
    await poller.stop();
    expect(deleted()).toEqual(["rh-x", "rh-y"]);
  });

  it("does nothing for a disabled mapping: the replica keeps its messages", async () => {
    queue([message()]);
    const invoker = new FakeInvoker();
    const poller = track({ ...MAPPING, enabled: false }, invoker, {
      sqs,
      journal: new MemoryJournal(),
    });
    poller.start();
    await new Promise((resolve) => setTimeout(resolve, 100));
    await poller.stop();
    expect(sqsMock.commandCalls(ReceiveMessageCommand)).toHaveLength(0);
    expect(poller.stats()).toMatchObject({ enabled: false, invocations: 0 });
  });

  it("backs off and retries when receiving fails, then carries on", async () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:4566"), {
      code: "ECONNREFUSED",
    });
    let calls = 0;
    const times: number[] = [];
    sqsMock.on(ReceiveMessageCommand).callsFake(async () => {
      calls += 1;
      times.push(Date.now());
      if (calls <= 3) throw refused;
      if (calls === 4) return { Messages: [message()] };
      await new Promise((resolve) => setTimeout(resolve, 20));
      return { Messages: [] };
    });
    const invoker = new FakeInvoker();
    const errors: Error[] = [];
    const poller = track(MAPPING, invoker, {
      sqs,
      journal: new MemoryJournal(),
      onError: (error) => errors.push(error),
      backoff: { initialMs: 40, maxMs: 1000 },
    });
    poller.start();
    await until(() => calls >= 2);
    expect(poller.stats().lastError).toMatch(/receive failed: connect ECONNREFUSED/);
    await until(() => invoker.events.length === 1);
    await poller.stop();
    expect(errors).toHaveLength(3);
    // 40, 80, 160 ms between the attempts.
    const gaps = times.slice(1, 4).map((t, i) => t - times[i]);
    expect(gaps[0]).toBeGreaterThanOrEqual(35);
    expect(gaps[1]).toBeGreaterThanOrEqual(75);
    expect(gaps[2]).toBeGreaterThanOrEqual(155);
    expect(poller.stats().lastError).toBeUndefined();
  });

  it("stop() does not wait out a back-off", async () => {
    sqsMock.on(ReceiveMessageCommand).rejects(new Error("connect ECONNREFUSED 127.0.0.1:4566"));
    const poller = track(MAPPING, new FakeInvoker(), {
      sqs,
      journal: new MemoryJournal(),
      backoff: { initialMs: 10_000, maxMs: 10_000 },
    });
    poller.start();
    await until(() => sqsMock.commandCalls(ReceiveMessageCommand).length === 1);
    await until(() => poller.stats().lastError !== undefined);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const started = Date.now();
    await poller.stop();
    expect(Date.now() - started).toBeLessThan(5_000); // not after the 10 s back-off
  });

  it("stop() waits for the invocations in flight and then receives no more", async () => {
    queue([message()]);
    const journal = new MemoryJournal();
    const invoker = new FakeInvoker(undefined, 200);
    const poller = track(MAPPING, invoker, { sqs, journal });
    poller.start();
    await until(() => invoker.events.length === 1);
    const started = Date.now();
    await poller.stop();
    expect(journal.records).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(10_000); // returns, once the 200 ms invocation ends
    const receives = sqsMock.commandCalls(ReceiveMessageCommand).length;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(sqsMock.commandCalls(ReceiveMessageCommand)).toHaveLength(receives);
  });
});

describe("batchVerdict", () => {
  const batch = [{ messageId: "a" }, { messageId: "b" }] as SQSRecord[];

  it.each([
    ["null", null],
    ["an empty object", {}],
    ["an empty list", { batchItemFailures: [] }],
    ["a null list", { batchItemFailures: null }],
  ])("counts %s as complete success", (_, result) => {
    expect(batchVerdict(ok(result), batch, true)).toEqual({ kind: "all-succeeded" });
  });

  it.each([
    ["a string", "done"],
    ["a list", []],
    ["batchItemFailures not a list", { batchItemFailures: "a" }],
    ["an empty itemIdentifier", { batchItemFailures: [{ itemIdentifier: "" }] }],
    ["a null itemIdentifier", { batchItemFailures: [{ itemIdentifier: null }] }],
    ["a bad key name", { batchItemFailures: [{ itemId: "a" }] }],
    ["an unknown message id", { batchItemFailures: [{ itemIdentifier: "z" }] }],
  ])("counts %s as complete failure", (_, result) => {
    expect(batchVerdict(ok(result), batch, true).kind).toBe("all-failed");
  });

  it("lists the failed ids of a partial response", () => {
    expect(batchVerdict(ok({ batchItemFailures: [{ itemIdentifier: "b" }] }), batch, true)).toEqual(
      {
        kind: "partial",
        failed: new Set(["b"]),
      },
    );
  });
});

/** An SNS envelope whose `MessageAttributes` carry the idempotency key, as SNS writes them. */
function snsBodyWithKey(payload: unknown, snsMessageId: string, key: string): string {
  return JSON.stringify({
    ...JSON.parse(snsBody(payload, { messageId: snsMessageId })),
    MessageAttributes: { idempotency_key: { Type: "String", Value: key } },
  });
}

/** The record the poller builds for a body and an optional SQS `idempotency_key` attribute. */
const recordOf = (body: string, idempotencyKey?: string) =>
  sqsRecordOf(message({ body, idempotencyKey }), MAPPING);

describe("messageKeysOf", () => {
  it("reads a raw body's idempotency key from the SQS message attributes", () => {
    expect(messageKeysOf(recordOf('{"recorded_at":1}', "k-1"))).toEqual({ idempotencyKey: "k-1" });
    expect(messageKeysOf(recordOf("plain text", "k-2"))).toEqual({ idempotencyKey: "k-2" });
  });

  it("reads an envelope's MessageId and the key from the envelope's MessageAttributes", () => {
    expect(messageKeysOf(recordOf(snsBodyWithKey({}, "sns-1", "k-env")))).toEqual({
      snsMessageId: "sns-1",
      idempotencyKey: "k-env",
    });
    // An envelope's own attributes are the message's: SQS attributes beside it are not.
    expect(messageKeysOf(recordOf(snsBody({}, { messageId: "sns-2" }), "k-sqs"))).toEqual({
      snsMessageId: "sns-2",
    });
  });

  it("answers no key for a body without either, nor for empty or non-string values", () => {
    expect(messageKeysOf(recordOf('{"recorded_at":1}'))).toEqual({});
    expect(messageKeysOf(recordOf("{not json", ""))).toEqual({});
    const binary = JSON.stringify({
      ...JSON.parse(snsBody({}, { messageId: "sns-3" })),
      MessageAttributes: { idempotency_key: { Type: "Binary", Value: "a2V5" } },
    });
    expect(messageKeysOf(recordOf(binary))).toEqual({ snsMessageId: "sns-3" });
  });

  it("finds any key in either form (property)", () => {
    const key = fc.string({ minLength: 1 });
    const body = fc.oneof(fc.string(), fc.json()).filter((b) => snsMessageIdOf(b) === undefined);
    fc.assert(
      fc.property(key, body, (k, b) => {
        expect(messageKeysOf(recordOf(b, k))).toEqual({ idempotencyKey: k });
      }),
    );
    fc.assert(
      fc.property(key, fc.uuid(), (k, id) => {
        expect(messageKeysOf(recordOf(snsBodyWithKey({ n: 1 }, id, k)))).toEqual({
          snsMessageId: id,
          idempotencyKey: k,
        });
      }),
    );
  });
});

describe("snsMessageIdOf", () => {
  it("answers the envelope's MessageId, and nothing for a body sent straight to SQS", () => {
    expect(snsMessageIdOf(snsBody({ recorded_at: 1 }, { messageId: "sns-9" }))).toBe("sns-9");
    expect(snsMessageIdOf(JSON.stringify({ recorded_at: 1 }))).toBeUndefined();
    expect(snsMessageIdOf(JSON.stringify({ MessageId: "x" }))).toBeUndefined();
    expect(snsMessageIdOf("{not json")).toBeUndefined();
    expect(snsMessageIdOf("plain")).toBeUndefined();
  });
});
