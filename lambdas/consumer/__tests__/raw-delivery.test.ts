/**
 * The consumer of a queue whose subscription uses SNS raw message delivery: the body is the
 * published message, so the legs come from `recorded_at` and the SQS timestamps alone.
 */
import type { SQSRecord } from "aws-lambda";
import fc from "fast-check";
import { legsOn, type FailureReason } from "../../shared/metrics";
import { createConsumer } from "../handler";
import { MIN_RECORDED_AT_MS, computeLegs, parseRecord, type RecordInput } from "../latency";
import rawSnsFixture from "./fixtures/sqs-sns-raw.json";
import { REPLICA_ENV, STARTED_AT, captureStdout, snsBody, sqsEvent, sqsRecord } from "./factories";

const raw = { startedAt: STARTED_AT, maxClockSkewMs: 60_000, rawMessageDelivery: true };
const enveloped = { ...raw, rawMessageDelivery: false };
const recordedAt = STARTED_AT - 100;

function reasonOf(record: RecordInput): FailureReason | "ok" {
  const parsed = parseRecord(record, raw);
  return parsed.ok ? "ok" : parsed.rejection.reason;
}

describe("parseRecord with raw message delivery", () => {
  it("computes ProducerToSqs, dwell, poller and end to end from a real-shaped raw record", () => {
    const parsed = parseRecord(rawSnsFixture.Records[0] as RecordInput, raw);
    expect(parsed).toEqual({
      ok: true,
      times: {
        path: "raw",
        recordedAt: 1_732_417_200_000,
        sentTimestamp: 1_732_417_200_052,
        firstReceiveTimestamp: 1_732_417_200_060,
      },
    });
    expect(parsed.ok && computeLegs(parsed.times, STARTED_AT)).toEqual({
      ProducerToSqsLatency: 52,
      SqsDwellLatency: 8,
      SqsToConsumerLatency: 30,
      EndToEndLatency: 90,
    });
  });

  it("takes a body that looks like an SNS envelope as the payload, not as an envelope", () => {
    const lookalike = { ...JSON.parse(snsBody("a string")), recorded_at: recordedAt };
    const record = sqsRecord({ body: JSON.stringify(lookalike) });
    expect(parseRecord(record, raw)).toMatchObject({
      ok: true,
      times: { path: "raw", recordedAt },
    });
    // Without raw delivery the same body is an envelope whose Message is not an object.
    expect(parseRecord(record, enveloped)).toMatchObject({
      ok: false,
      rejection: { reason: "InvalidPayload" },
    });
  });

  it.each([
    { body: "{seq: 1", reason: "InvalidJson" }, // not JSON
    { body: "[1, 2]", reason: "InvalidPayload" }, // not an object
    { body: '{"seq": 1}', reason: "MissingRecordedAt" },
    { body: '{"recorded_at": 1732417200}', reason: "InvalidRecordedAt" }, // seconds
    { body: '{"recorded_at": "1732417200000"}', reason: "InvalidRecordedAt" }, // a string
  ] as const)("rejects the raw body $body as $reason", ({ body, reason }) => {
    expect(reasonOf(sqsRecord({ body }))).toBe(reason);
  });

  it("rejects a raw record without SQS timestamps", () => {
    const body = JSON.stringify({ recorded_at: recordedAt });
    expect(reasonOf(sqsRecord({ body, attributes: { SentTimestamp: undefined } }))).toBe(
      "InvalidSqsAttributes",
    );
  });
});

describe("parseRecord in both modes, properties", () => {
  const payloadArb = fc
    .tuple(
      fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 })),
      fc.integer({ min: MIN_RECORDED_AT_MS, max: STARTED_AT }),
    )
    .map(([fields, at]) => ({ ...fields, recorded_at: at }));

  it("reads the same recorded_at from the raw body as from the envelope around it", () => {
    fc.assert(
      fc.property(payloadArb, (payload) => {
        const viaRaw = parseRecord(sqsRecord({ body: JSON.stringify(payload) }), raw);
        const viaSns = parseRecord(sqsRecord({ body: snsBody(payload) }), enveloped);
        expect(viaRaw).toMatchObject({ ok: true, times: { path: "raw" } });
        expect(viaSns).toMatchObject({ ok: true, times: { path: "sns" } });
        if (viaRaw.ok && viaSns.ok) expect(viaRaw.times.recordedAt).toBe(viaSns.times.recordedAt);
        if (viaRaw.ok) {
          expect(Object.keys(computeLegs(viaRaw.times, STARTED_AT)).sort()).toEqual(
            [...legsOn("raw")].sort(),
          );
        }
      }),
    );
  });

  it("answers any body with a result, never a throw, and never an SNS path", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (body) => {
        const parsed = parseRecord(sqsRecord({ body }), raw);
        if (parsed.ok) expect(parsed.times.path).toBe("raw");
      }),
    );
  });
});

describe("handler with raw message delivery", () => {
  const consumer = createConsumer(
    { ...REPLICA_ENV, FANOUT_RAW_MESSAGE_DELIVERY: "true" },
    { clock: () => STARTED_AT },
  );

  async function run(records: SQSRecord[]) {
    const capture = captureStdout();
    try {
      const response = await consumer.handler(sqsEvent(records));
      return { response, emf: capture.emf() };
    } finally {
      capture.restore();
    }
  }

  it("reads its mode from the environment", () => {
    expect(consumer.config.rawMessageDelivery).toBe(true);
  });

  it("emits the raw legs, no SNS leg, and reports only the malformed record", async () => {
    const good = rawSnsFixture.Records[0] as SQSRecord;
    const bad = sqsRecord({ messageId: "raw-not-json", body: "<order/>" });
    const { response, emf } = await run([good, bad]);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: "raw-not-json" }]);
    const names = new Set(
      emf.flatMap((b) => b._aws.CloudWatchMetrics[0].Metrics.map((m) => m.Name)),
    );
    for (const leg of legsOn("raw")) expect(names).toContain(leg);
    expect(names).not.toContain("ProducerToSnsLatency");
    expect(names).not.toContain("SnsToSqsLatency");
    const main = emf.find((b) => "ProducerToSqsLatency" in b)!;
    expect(main.ProducerToSqsLatency).toBe(52);
    expect(main.EndToEndLatency).toBe(90);
  });
});
