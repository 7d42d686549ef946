import fc from "fast-check";
import type { FailureReason } from "../../shared/metrics";
import {
  MIN_RECORDED_AT_MS,
  computeLegs,
  parseIsoTimestamp,
  parseRecord,
  parseSqsTimestamp,
  type RecordInput,
  type RecordTimes,
} from "../latency";
import { STARTED_AT, snsBody, snsEnvelope, sqsRecord } from "./factories";
import rawFixture from "./fixtures/sqs-raw.json";
import snsFixture from "./fixtures/sqs-sns-envelope.json";

const options = { startedAt: STARTED_AT, maxClockSkewMs: 60_000 };
const recordedAt = STARTED_AT - 100;

function legsOf(record: RecordInput) {
  const parsed = parseRecord(record, options);
  if (!parsed.ok) throw new Error(`expected a valid record, got ${parsed.rejection.detail}`);
  return computeLegs(parsed.times, STARTED_AT);
}

function reasonOf(record: RecordInput): FailureReason | "ok" {
  const parsed = parseRecord(record, options);
  return parsed.ok ? "ok" : parsed.rejection.reason;
}

describe("fixtures", () => {
  it("computes the five SNS legs of each record of an SNS-to-SQS event", () => {
    const [first, second] = snsFixture.Records as RecordInput[];
    expect(legsOf(first)).toEqual({
      ProducerToSnsLatency: 45,
      SnsToSqsLatency: 25,
      SqsDwellLatency: 12,
      SqsToConsumerLatency: 8,
      EndToEndLatency: 90,
    });
    expect(legsOf(second)).toEqual({
      ProducerToSnsLatency: 60,
      SnsToSqsLatency: 50,
      SqsDwellLatency: 21,
      SqsToConsumerLatency: 9,
      EndToEndLatency: 140,
    });
  });

  it("computes ProducerToSqs instead of the SNS legs for a message sent straight to SQS", () => {
    expect(legsOf(rawFixture.Records[0] as RecordInput)).toEqual({
      ProducerToSqsLatency: 30,
      SqsDwellLatency: 11,
      SqsToConsumerLatency: 49,
      EndToEndLatency: 90,
    });
  });
});

describe("parseRecord", () => {
  it("unwraps the SNS envelope and keeps its Timestamp", () => {
    const body = snsBody({ recorded_at: recordedAt }, { timestamp: "2024-11-24T03:00:00.010Z" });
    expect(parseRecord(sqsRecord({ body }), options)).toEqual({
      ok: true,
      times: {
        path: "sns",
        recordedAt,
        snsTimestamp: Date.parse("2024-11-24T03:00:00.010Z"),
        sentTimestamp: STARTED_AT - 70,
        firstReceiveTimestamp: STARTED_AT - 60,
      },
    });
  });

  it("treats a JSON object without Type and TopicArn as a direct payload", () => {
    const body = JSON.stringify({ recorded_at: recordedAt, Type: "Notification" });
    const parsed = parseRecord(sqsRecord({ body }), options);
    expect(parsed.ok && parsed.times.path).toBe("direct");
  });

  it("accepts fractional milliseconds", () => {
    const body = JSON.stringify({ recorded_at: recordedAt + 0.5 });
    expect(legsOf(sqsRecord({ body })).EndToEndLatency).toBe(99.5);
  });

  it("accepts recorded_at up to the clock-skew tolerance after handler start", () => {
    const body = JSON.stringify({ recorded_at: STARTED_AT + 60_000 });
    expect(reasonOf(sqsRecord({ body }))).toBe("ok");
  });

  const sent = String(STARTED_AT - 70);
  it.each<[string, RecordInput, FailureReason]>([
    ["body is not JSON", sqsRecord({ body: "recorded_at=1" }), "InvalidJson"],
    ["body is empty", sqsRecord({ body: "" }), "InvalidJson"],
    [
      "SNS Message is not JSON",
      sqsRecord({ body: JSON.stringify(snsEnvelope({ message: "hello" })) }),
      "InvalidJson",
    ],
    [
      "SNS Timestamp is not ISO 8601 UTC",
      sqsRecord({ body: snsBody({ recorded_at: recordedAt }, { timestamp: "yesterday" }) }),
      "InvalidEnvelope",
    ],
    [
      "SNS Timestamp has no zone",
      sqsRecord({
        body: snsBody({ recorded_at: recordedAt }, { timestamp: "2024-11-24T03:00:00.010" }),
      }),
      "InvalidEnvelope",
    ],
    [
      "SNS Type is not Notification",
      sqsRecord({ body: snsBody({}, { type: "SubscriptionConfirmation" }) }),
      "InvalidEnvelope",
    ],
    [
      "SNS MessageId is empty",
      sqsRecord({ body: snsBody({ recorded_at: recordedAt }, { messageId: "" }) }),
      "InvalidEnvelope",
    ],
    [
      "SNS Message is not a string",
      sqsRecord({
        body: JSON.stringify({ ...snsEnvelope({ message: "" }), Message: { recorded_at: 1 } }),
      }),
      "InvalidEnvelope",
    ],
    ["payload is an array", sqsRecord({ body: "[1,2]" }), "InvalidPayload"],
    ["payload is null", sqsRecord({ body: "null" }), "InvalidPayload"],
    ["SNS payload is a number", sqsRecord({ body: snsBody(42) }), "InvalidPayload"],
    ["recorded_at is missing", sqsRecord({ body: '{"recordedAt":1}' }), "MissingRecordedAt"],
    ["SNS recorded_at is missing", sqsRecord({ body: snsBody({}) }), "MissingRecordedAt"],
    [
      "recorded_at is a numeric string",
      sqsRecord({ body: JSON.stringify({ recorded_at: String(recordedAt) }) }),
      "InvalidRecordedAt",
    ],
    ["recorded_at is null", sqsRecord({ body: '{"recorded_at":null}' }), "InvalidRecordedAt"],
    [
      "recorded_at is in epoch seconds",
      sqsRecord({ body: JSON.stringify({ recorded_at: Math.floor(recordedAt / 1000) }) }),
      "InvalidRecordedAt",
    ],
    [
      "recorded_at is beyond the clock-skew tolerance",
      sqsRecord({ body: JSON.stringify({ recorded_at: STARTED_AT + 60_001 }) }),
      "RecordedAtInFuture",
    ],
    [
      "SentTimestamp is missing",
      sqsRecord({
        body: snsBody({ recorded_at: recordedAt }),
        attributes: { SentTimestamp: undefined },
      }),
      "InvalidSqsAttributes",
    ],
    [
      "ApproximateFirstReceiveTimestamp is not digits",
      sqsRecord({
        body: JSON.stringify({ recorded_at: recordedAt }),
        attributes: { SentTimestamp: sent, ApproximateFirstReceiveTimestamp: "1.7e12" },
      }),
      "InvalidSqsAttributes",
    ],
  ])("rejects a record when %s", (_name, record, reason) => {
    expect(reasonOf(record)).toBe(reason);
  });

  it("rejects a record without attributes instead of throwing", () => {
    const record = { body: JSON.stringify({ recorded_at: recordedAt }) } as RecordInput;
    expect(reasonOf(record)).toBe("InvalidSqsAttributes");
  });

  it("explains a rejection in one line", () => {
    const parsed = parseRecord(
      sqsRecord({ body: JSON.stringify({ recorded_at: STARTED_AT + 90_000 }) }),
      options,
    );
    expect(parsed).toEqual({
      ok: false,
      rejection: {
        reason: "RecordedAtInFuture",
        detail: `recorded_at ${STARTED_AT + 90_000} is 90000 ms after handler start, tolerance 60000 ms`,
      },
    });
  });
});

describe("timestamp parsers", () => {
  it.each([
    ["2024-11-24T03:00:00.045Z", Date.UTC(2024, 10, 24, 3, 0, 0, 45)],
    ["2024-11-24T03:00:00Z", Date.UTC(2024, 10, 24, 3, 0, 0)],
    ["2024-11-24T03:00:00+00:00", undefined],
    ["2024-13-24T03:00:00.000Z", undefined],
    ["1732417200000", undefined],
    [1732417200000, undefined],
  ])("parseIsoTimestamp(%p) is %p", (input, expected) => {
    expect(parseIsoTimestamp(input)).toBe(expected);
  });

  it.each([
    ["1732417200070", 1732417200070],
    ["", undefined],
    [" 1732417200070", undefined],
    ["-1", undefined],
    ["1e12", undefined],
    ["9999999999999999", undefined],
    [1732417200070, undefined],
    [undefined, undefined],
  ])("parseSqsTimestamp(%p) is %p", (input, expected) => {
    expect(parseSqsTimestamp(input)).toBe(expected);
  });
});

describe("computeLegs", () => {
  const epochMs = fc.integer({ min: MIN_RECORDED_AT_MS, max: 4_102_444_800_000 });

  it("splits EndToEnd into legs that add up exactly, on both paths", () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.array(epochMs, { minLength: 5, maxLength: 5 }),
        (viaSns, [recorded, sns, sentAt, received, started]) => {
          const queue = {
            recordedAt: recorded,
            sentTimestamp: sentAt,
            firstReceiveTimestamp: received,
          };
          const times: RecordTimes = viaSns
            ? { path: "sns", snsTimestamp: sns, ...queue }
            : { path: "direct", ...queue };
          const legs = computeLegs(times, started);
          const sum = Object.entries(legs)
            .filter(([name]) => name !== "EndToEndLatency")
            .reduce((total, [, value]) => total + (value ?? 0), 0);
          expect(sum).toBe(started - recorded);
          expect(legs.EndToEndLatency).toBe(started - recorded);
          expect(Object.keys(legs).sort()).toEqual(
            viaSns
              ? [
                  "EndToEndLatency",
                  "ProducerToSnsLatency",
                  "SnsToSqsLatency",
                  "SqsDwellLatency",
                  "SqsToConsumerLatency",
                ]
              : [
                  "EndToEndLatency",
                  "ProducerToSqsLatency",
                  "SqsDwellLatency",
                  "SqsToConsumerLatency",
                ],
          );
        },
      ),
    );
  });

  it("keeps negative legs negative (clamping is the emitter's decision)", () => {
    const legs = computeLegs(
      {
        path: "sns",
        recordedAt: 1_000_000_000_100,
        snsTimestamp: 1_000_000_000_000,
        sentTimestamp: 1_000_000_000_050,
        firstReceiveTimestamp: 1_000_000_000_060,
      },
      1_000_000_000_070,
    );
    expect(legs.ProducerToSnsLatency).toBe(-100);
    expect(legs.EndToEndLatency).toBe(-30);
  });
});
