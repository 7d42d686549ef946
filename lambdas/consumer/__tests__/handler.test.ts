import type { Context, SQSRecord } from "aws-lambda";
import fc from "fast-check";
import {
  BATCH_METRIC_NAMES,
  FAILED_RECORDS_METRIC,
  LATENCY_METRIC_NAMES,
  METRIC_NAMESPACE,
  consumerDimensions,
  failureReasonDimensions,
  type LatencyMetricName,
} from "../../shared/metrics";
import { createConsumer } from "../handler";
import { MIN_RECORDED_AT_MS, computeLegs, parseRecord, type RecordInput } from "../latency";
import {
  REPLICA_ENV,
  STARTED_AT,
  captureStdout,
  snsBody,
  snsEnvelope,
  sqsEvent,
  sqsRecord,
  type EmfBlob,
} from "./factories";
import rawFixture from "./fixtures/sqs-raw.json";
import snsFixture from "./fixtures/sqs-sns-envelope.json";

const consumer = createConsumer(REPLICA_ENV, { clock: () => STARTED_AT });
const dimensions = consumerDimensions("fanout-primary", "replica");

/** Runs one invocation and returns its response with what it printed. */
async function invoke(records: SQSRecord[], context?: Context) {
  const capture = captureStdout();
  try {
    const response = await consumer.handler(sqsEvent(records), context);
    return { response, emf: capture.emf(), logs: capture.logs() };
  } finally {
    capture.restore();
  }
}

/** Every value of a metric across blobs (Powertools prints one value bare, several as a list). */
function valuesOf(blobs: EmfBlob[], name: string): number[] {
  return blobs.flatMap((blob) => (name in blob ? [blob[name] as number | number[]].flat() : []));
}

function mainBlobs(blobs: EmfBlob[]): EmfBlob[] {
  return blobs.filter((blob) => !("Reason" in blob));
}

function failedIds(response: { batchItemFailures: { itemIdentifier: string }[] }): string[] {
  return response.batchItemFailures.map((failure) => failure.itemIdentifier).sort();
}

describe("EMF output of one invocation", () => {
  const fixtureRecords = [...snsFixture.Records, ...rawFixture.Records] as SQSRecord[];
  const notJson = sqsRecord({ messageId: "bad-json", body: "{not json" });
  const future = sqsRecord({
    messageId: "bad-future",
    body: JSON.stringify({ recorded_at: STARTED_AT + 3_600_000 }),
  });
  let result: Awaited<ReturnType<typeof invoke>>;

  beforeAll(async () => {
    result = await invoke([...fixtureRecords, notJson, future]);
  });

  it("reports only the bad records", () => {
    expect(failedIds(result.response)).toEqual(["bad-future", "bad-json"]);
  });

  it("prints one blob in the contract's namespace with exactly the contract's dimensions", () => {
    const blobs = mainBlobs(result.emf);
    expect(blobs).toHaveLength(1);
    const [directive] = blobs[0]._aws.CloudWatchMetrics;
    expect(blobs[0]._aws.CloudWatchMetrics).toHaveLength(1);
    expect(directive.Namespace).toBe(METRIC_NAMESPACE);
    expect(directive.Dimensions).toEqual([Object.keys(dimensions)]);
    for (const [key, value] of Object.entries(dimensions)) expect(blobs[0][key]).toBe(value);
  });

  it("emits every latency leg at high resolution with the computed value of each record", () => {
    const [blob] = mainBlobs(result.emf);
    const definitions = blob._aws.CloudWatchMetrics[0].Metrics;
    for (const name of LATENCY_METRIC_NAMES) {
      expect(definitions).toContainEqual({
        Name: name,
        Unit: "Milliseconds",
        StorageResolution: 1,
      });
      const expected = fixtureRecords.flatMap((record) => {
        const parsed = parseRecord(record as RecordInput, {
          startedAt: STARTED_AT,
          maxClockSkewMs: 60_000,
        });
        const legs = parsed.ok ? computeLegs(parsed.times, STARTED_AT) : {};
        return legs[name] === undefined ? [] : [legs[name]];
      });
      expect(valuesOf([blob], name)).toEqual(expected);
    }
    expect(valuesOf([blob], "EndToEndLatency")).toEqual([90, 140, 90]);
    expect(valuesOf([blob], "ProducerToSnsLatency")).toEqual([45, 60]);
    expect(valuesOf([blob], "ProducerToSqsLatency")).toEqual([30]);
  });

  it("emits the batch counts at standard resolution", () => {
    const [blob] = mainBlobs(result.emf);
    for (const name of BATCH_METRIC_NAMES) {
      expect(blob._aws.CloudWatchMetrics[0].Metrics).toContainEqual({ Name: name, Unit: "Count" });
    }
    expect(blob).toMatchObject({ BatchSize: 5, Processed: 3, Failed: 2, NegativeLatencies: 0 });
  });

  it("counts failures by reason in blobs carrying the Reason dimension", () => {
    const byReason = result.emf.filter((blob) => "Reason" in blob);
    expect(byReason.map((blob) => blob.Reason).sort()).toEqual([
      "InvalidJson",
      "RecordedAtInFuture",
    ]);
    for (const blob of byReason) {
      const expected = failureReasonDimensions(
        "fanout-primary",
        "replica",
        blob.Reason as "InvalidJson",
      );
      const [directive] = blob._aws.CloudWatchMetrics;
      expect(directive.Namespace).toBe(METRIC_NAMESPACE);
      expect(directive.Dimensions).toEqual([Object.keys(expected)]);
      expect(directive.Metrics).toEqual([{ Name: FAILED_RECORDS_METRIC.name, Unit: "Count" }]);
      expect(blob).toMatchObject({ ...expected, FailedRecords: 1 });
    }
  });

  it("logs each rejected record with its message id and reason", () => {
    const warnings = result.logs.filter((log) => log.level === "WARN");
    expect(warnings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ messageId: "bad-json", reason: "InvalidJson" }),
        expect.objectContaining({ messageId: "bad-future", reason: "RecordedAtInFuture" }),
      ]),
    );
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatchObject({
      service: "fanout-primary",
      stack: "primary",
      role: "replica",
    });
  });
});

describe("handler", () => {
  it("returns every record of an all-bad batch instead of throwing", async () => {
    const records = [
      sqsRecord({ messageId: "a", body: "" }),
      sqsRecord({ messageId: "b", body: snsBody({}) }),
    ];
    const { response, emf } = await invoke(records);
    expect(failedIds(response)).toEqual(["a", "b"]);
    expect(mainBlobs(emf)[0]).toMatchObject({ BatchSize: 2, Processed: 0, Failed: 2 });
  });

  it("reports a record the parser trips on as Unexpected and logs it as an error", async () => {
    const good = sqsRecord({
      messageId: "good",
      body: JSON.stringify({ recorded_at: STARTED_AT }),
    });
    const trap = sqsRecord({
      messageId: "trap",
      body: JSON.stringify({ recorded_at: STARTED_AT }),
    });
    Object.defineProperty(trap, "attributes", {
      get() {
        throw new Error("boom");
      },
    });
    const { response, emf, logs } = await invoke([good, trap]);
    expect(failedIds(response)).toEqual(["trap"]);
    expect(emf.find((blob) => blob.Reason === "Unexpected")).toMatchObject({ FailedRecords: 1 });
    expect(logs).toContainEqual(
      expect.objectContaining({ level: "ERROR", messageId: "trap", reason: "Unexpected" }),
    );
  });

  it("emits negative legs as 0 and counts them", async () => {
    const early = sqsRecord({ body: JSON.stringify({ recorded_at: STARTED_AT + 500 }) });
    const { response, emf } = await invoke([early]);
    expect(response.batchItemFailures).toEqual([]);
    const [blob] = mainBlobs(emf);
    expect(blob).toMatchObject({
      EndToEndLatency: 0,
      ProducerToSqsLatency: 0,
      SqsDwellLatency: 10,
    });
    expect(blob).toMatchObject({ NegativeLatencies: 2, Processed: 1 });
  });

  it("emits every value when a batch holds more than the 100 values an EMF blob takes", async () => {
    const records = Array.from({ length: 150 }, (_, index) =>
      sqsRecord({ body: snsBody({ recorded_at: STARTED_AT - 1_000 - index }) }),
    );
    const { emf } = await invoke(records);
    const blobs = mainBlobs(emf);
    expect(blobs.length).toBeGreaterThan(1);
    const endToEnd = valuesOf(blobs, "EndToEndLatency").sort((a, b) => a - b);
    expect(endToEnd).toEqual(Array.from({ length: 150 }, (_, index) => 1_000 + index));
    for (const name of ["ProducerToSnsLatency", "SnsToSqsLatency"] as LatencyMetricName[]) {
      expect(valuesOf(blobs, name)).toHaveLength(150);
    }
    expect(valuesOf(blobs, "BatchSize")).toEqual([150]);
    for (const blob of blobs) {
      for (const value of Object.values(blob).filter(Array.isArray)) {
        expect(value.length).toBeLessThanOrEqual(100);
      }
    }
  });

  it("adds the Lambda context to its logs", async () => {
    const context = {
      functionName: "fanout-primary-replica-us-west-2",
      functionVersion: "$LATEST",
      invokedFunctionArn: "arn:aws:lambda:us-west-2:123456789012:function:consumer",
      memoryLimitInMB: "256",
      awsRequestId: "req-1",
    } as Context;
    const { logs } = await invoke([sqsRecord({ messageId: "x", body: "x" })], context);
    expect(logs[0]).toMatchObject({ function_request_id: "req-1", messageId: "x" });
  });
});

describe("handler on arbitrary batches", () => {
  const reserved = new Set(["recorded_at", "Type", "TopicArn"]);
  const key = fc.string({ maxLength: 8 }).filter((name) => !reserved.has(name));
  const extras = fc.dictionary(key, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 });
  const epochMs = fc.integer({ min: MIN_RECORDED_AT_MS, max: STARTED_AT });
  const digits = (value: number) => String(value);
  const notDigits = fc.oneof(
    fc.constant(undefined),
    fc.string().filter((text) => !/^\d{1,15}$/.test(text)),
  );
  const notJson = fc.string().filter((text) => {
    try {
      JSON.parse(text);
      return false;
    } catch {
      return true;
    }
  });

  interface Draft {
    readonly valid: boolean;
    readonly body: string;
    readonly attributes?: Record<string, string | undefined>;
  }

  const validPayload = fc
    .tuple(fc.integer({ min: STARTED_AT - 14 * 86_400_000, max: STARTED_AT + 60_000 }), extras)
    .map(([recordedAt, extra]) => ({ ...extra, recorded_at: recordedAt }));

  const valid: fc.Arbitrary<Draft> = fc
    .tuple(fc.boolean(), validPayload, epochMs, epochMs, epochMs)
    .map(([viaSns, payload, sns, sent, received]) => ({
      valid: true,
      body: viaSns
        ? snsBody(payload, { timestamp: new Date(sns).toISOString() })
        : JSON.stringify(payload),
      attributes: {
        SentTimestamp: digits(sent),
        ApproximateFirstReceiveTimestamp: digits(received),
      },
    }));

  const badPayload = fc.oneof(
    fc.oneof(fc.integer(), fc.string(), fc.constant(null), fc.array(fc.integer())),
    extras,
    extras.chain((extra) =>
      fc
        .oneof(
          fc.string(),
          fc.boolean(),
          fc.constant(null),
          fc.array(fc.integer()),
          fc.object(),
          fc.integer({ min: -1e12, max: MIN_RECORDED_AT_MS - 1 }),
          fc.integer({ min: STARTED_AT + 60_001, max: STARTED_AT + 1e12 }),
        )
        .map((recordedAt) => ({ ...extra, recorded_at: recordedAt })),
    ),
  );

  const malformed: fc.Arbitrary<Draft> = fc.oneof(
    notJson.map((body) => ({ valid: false, body })),
    badPayload.map((payload) => ({ valid: false, body: JSON.stringify(payload) })),
    badPayload.map((payload) => ({ valid: false, body: snsBody(payload) })),
    notJson.map((message) => ({ valid: false, body: JSON.stringify(snsEnvelope({ message })) })),
    fc
      .string()
      .filter((text) => !/^\d{4}-\d{2}-\d{2}T/.test(text))
      .map((timestamp) => ({
        valid: false,
        body: snsBody({ recorded_at: STARTED_AT }, { timestamp }),
      })),
    fc
      .string()
      .filter((type) => type !== "Notification")
      .map((type) => ({ valid: false, body: snsBody({ recorded_at: STARTED_AT }, { type }) })),
    fc.tuple(valid, notDigits, fc.boolean()).map(([draft, bad, first]) => ({
      valid: false,
      body: draft.body,
      attributes: {
        ...draft.attributes,
        [first ? "ApproximateFirstReceiveTimestamp" : "SentTimestamp"]: bad,
      },
    })),
  );

  async function check(drafts: Draft[]): Promise<void> {
    const records = drafts.map((draft, index) =>
      sqsRecord({ messageId: `m${index}`, body: draft.body, attributes: draft.attributes }),
    );
    const { response, emf } = await invoke(records);
    const bad = records.filter((_, index) => !drafts[index].valid).map((r) => r.messageId);
    expect(failedIds(response)).toEqual(bad.sort());
    const validCount = drafts.length - bad.length;
    expect(validCount + response.batchItemFailures.length).toBe(drafts.length);
    const blobs = mainBlobs(emf);
    expect(valuesOf(blobs, "BatchSize")).toEqual([drafts.length]);
    expect(valuesOf(blobs, "Processed")).toEqual([validCount]);
    expect(valuesOf(blobs, "Failed")).toEqual([bad.length]);
    expect(valuesOf(blobs, "EndToEndLatency")).toHaveLength(validCount);
    const byReason = valuesOf(
      emf.filter((blob) => "Reason" in blob),
      "FailedRecords",
    );
    expect(byReason.reduce((sum, value) => sum + value, 0)).toBe(bad.length);
  }

  it("fails exactly the malformed records of a mixed batch", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(valid, malformed), { minLength: 1, maxLength: 25 }),
        check,
      ),
      { numRuns: 200 },
    );
  });

  it("returns every record of an all-malformed batch", async () => {
    await fc.assert(fc.asyncProperty(fc.array(malformed, { minLength: 1, maxLength: 10 }), check), {
      numRuns: 100,
    });
  });
});
