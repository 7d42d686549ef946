/**
 * What SNS delivers must fit the queues. Raw delivery is off, so each queue receives SNS's JSON
 * notification envelope, in which the message is a JSON string: its quotes and backslashes are
 * escaped again, and the envelope adds its own fields. A message the API accepts near SNS's
 * 256 KiB can so exceed the queues' `max_message_size`.
 */
import fc from "fast-check";
import { QUEUE_MAX_MESSAGE_BYTES } from "../../constructs/defaults";
import type { SnsAttributes } from "../../lambdas/producer-api/attributes";
import { MAX_ATTRIBUTES } from "../../lambdas/producer-api/attributes";
import { MAX_MESSAGE_BYTES, parsePublishRequest } from "../../lambdas/producer-api/request";
import { defaultConfig, resources, synthAll } from "../support/synth";

const NOW = Date.UTC(2026, 11, 2);
const UUID = "2f1b5c3e-9d7a-4e2b-8c61-0a9f4d3e2b1c";
/** The longest topic ARN: the longest partition and region names, a 256-character topic name. */
const TOPIC_ARN = `arn:aws-us-gov:sns:ap-southeast-5:123456789012:${"t".repeat(256)}`;

/**
 * SNS's notification envelope of a publish (raw delivery off), every field at its longest: a
 * signature of a 4096-bit key, the certificate and unsubscribe URLs of that topic. Serialized
 * as a standard JSON encoder does: quotes, backslashes and control characters escaped.
 */
function envelope(message: string, attributes: SnsAttributes): string {
  const endpoint = "https://sns.ap-southeast-5.amazonaws.com";
  return JSON.stringify({
    Type: "Notification",
    MessageId: UUID,
    TopicArn: TOPIC_ARN,
    Message: message,
    Timestamp: "2026-12-02T01:10:05.123Z",
    SignatureVersion: "2",
    Signature: "A".repeat(684),
    SigningCertURL: `${endpoint}/SimpleNotificationService-${"0".repeat(32)}.pem`,
    UnsubscribeURL: `${endpoint}/?Action=Unsubscribe&SubscriptionArn=${TOPIC_ARN}:${UUID}`,
    MessageAttributes: Object.fromEntries(
      Object.entries(attributes).map(([name, v]) => [
        name,
        { Type: v.DataType, Value: v.StringValue },
      ]),
    ),
  });
}

const bytes = (text: string) => Buffer.byteLength(text, "utf8");
/** The envelope's own fields, and each attribute's, around the message and attribute values. */
const ENVELOPE_FIELDS_BYTES = bytes(envelope("", {}));
const ATTRIBUTE_FIELDS_BYTES = bytes('"":{"Type":"","Value":""},');

/** Bound on an accepted publish's envelope: escaping at most doubles the bytes SNS counted. */
const envelopeBound = (size: number, attributeCount: number) =>
  2 * size + ENVELOPE_FIELDS_BYTES + ATTRIBUTE_FIELDS_BYTES * attributeCount;

function accepted(body: unknown, key?: string) {
  const headers: Record<string, string> = { "Content-Type": "application/json" };
  if (key !== undefined) headers["Idempotency-Key"] = key;
  return parsePublishRequest(
    { headers, multiValueHeaders: {}, body: JSON.stringify(body), isBase64Encoded: false },
    NOW,
  );
}

it("gives every queue the largest max_message_size the pinned provider accepts", () => {
  for (const { json } of Object.values(synthAll(defaultConfig()))) {
    const queues = resources(json, "aws_sqs_queue");
    expect(queues.length).toBeGreaterThan(0);
    for (const [, queue] of queues) expect(queue.max_message_size).toBe(QUEUE_MAX_MESSAGE_BYTES);
  }
});

it("bounds the envelope of any message the API accepts by twice its size plus the fields", () => {
  // Text heavy in what JSON escapes: quotes, backslashes, control characters, and non-ASCII.
  const text = fc.string({
    unit: fc.oneof(
      fc.constantFrom('"', "\\", "\t", "\n", "\u0001", "\u007f", "\u2028", "é", "😀"),
      fc.string({ unit: "binary", minLength: 1, maxLength: 1 }),
    ),
    maxLength: 200,
  });
  const attributeName = fc.stringMatching(/^[A-Za-z0-9_-]{1,20}$/);
  fc.assert(
    fc.property(
      fc.dictionary(fc.string({ maxLength: 10 }), fc.oneof(text, fc.integer()), { maxKeys: 5 }),
      fc.dictionary(attributeName, text, { maxKeys: MAX_ATTRIBUTES - 1 }),
      fc.option(fc.stringMatching(/^[\x21-\x7e]{1,64}$/), { nil: undefined }),
      (payload, attributes, key) => {
        const result = accepted({ ...payload, _attributes: attributes }, key);
        fc.pre(result.ok);
        if (!result.ok) return;
        const count = Object.keys(result.attributes).length;
        expect(bytes(envelope(result.message, result.attributes))).toBeLessThanOrEqual(
          envelopeBound(result.size, count),
        );
      },
    ),
    { numRuns: 300 },
  );
});

describe("a message SNS accepts but whose envelope would not fit the queues", () => {
  // A string of quotes: each is `\"` in the message and `\\\"` in the envelope.
  const overhead = bytes(JSON.stringify({ q: "", recorded_at: NOW }));
  const quotes = Math.floor((MAX_MESSAGE_BYTES - overhead) / 2);
  const message = JSON.stringify({ q: '"'.repeat(quotes), recorded_at: NOW });

  it("is within SNS's limit, and its envelope is not within the queues'", () => {
    expect(bytes(message)).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
    expect(bytes(envelope(message, {}))).toBeGreaterThan(QUEUE_MAX_MESSAGE_BYTES);
  });

  it("is refused with 413, naming the envelope's size and the queues' limit", () => {
    const result = accepted({ q: '"'.repeat(quotes), recorded_at: NOW });
    expect(result).toMatchObject({ ok: false, status: 413 });
    if (result.ok) return;
    expect(result.message).toMatch(
      new RegExp(
        `^Message is \\d+ bytes in the SNS envelope .*at most ${QUEUE_MAX_MESSAGE_BYTES}$`,
      ),
    );
  });
});

it("accepts only messages whose envelope fits the queues' max_message_size", () => {
  // Near the limit, heavy in what the envelope escapes again.
  const heavy = fc.string({
    unit: fc.constantFrom('"', "\\", "\n", "\u0001", "a", "é"),
    minLength: 40_000,
    maxLength: 140_000,
  });
  fc.assert(
    fc.property(heavy, fc.option(fc.constantFrom(UUID), { nil: undefined }), (text, key) => {
      const result = accepted({ q: text, recorded_at: NOW }, key);
      if (!result.ok) {
        expect(result.status).toBe(413);
        return;
      }
      expect(bytes(envelope(result.message, result.attributes))).toBeLessThanOrEqual(
        QUEUE_MAX_MESSAGE_BYTES,
      );
    }),
    { numRuns: 40 },
  );
});
