/**
 * Parsing and latency maths of one SQS record: pure functions, no Lambda runtime.
 *
 * Input rules (also the producer contract):
 * - The SQS body is JSON. A JSON object with string `Type` and `TopicArn` is an SNS envelope;
 *   its `Message` (a string) is parsed as JSON and is the payload. Anything else is the payload
 *   itself, sent straight to SQS.
 * - With raw message delivery on the queue's subscription, no body is an envelope: SNS delivers
 *   the published body as it is, so the body is always the payload (a payload that happens to
 *   carry `Type` and `TopicArn` is not mistaken for an envelope). `recorded_at` is in the body
 *   in both modes: the API and the CLI put it there; message attributes carry no timing.
 * - The payload is a JSON object with `recorded_at`: epoch milliseconds as a JSON **number**
 *   (fractions allowed). Numeric strings are rejected: the API and the producers write numbers,
 *   and a string means a producer bug worth seeing in `FailedRecords`.
 * - `recorded_at` before 2000-01-01 is rejected as well: it is almost surely epoch seconds.
 */
import type { SQSRecord } from "aws-lambda";
import type { DeliveryPath, FailureReason, LatencyMetricName } from "../shared/metrics";
import { IDEMPOTENCY_ATTRIBUTE } from "../shared/idempotency-key";
import { recordedAtProblem } from "../shared/recorded-at";

export { MIN_RECORDED_AT_MS } from "../shared/recorded-at";

/** The fields of an SQS record the consumer reads. */
export type RecordInput = Pick<SQSRecord, "body" | "attributes">;

/** Timing inputs shared by both delivery paths. */
export interface QueueTimes {
  /** Payload `recorded_at`, epoch ms. */
  readonly recordedAt: number;
  /** SQS `SentTimestamp`, epoch ms. */
  readonly sentTimestamp: number;
  /** SQS `ApproximateFirstReceiveTimestamp`, epoch ms. */
  readonly firstReceiveTimestamp: number;
}

/** Timing inputs of one record, once parsed and validated. */
export type RecordTimes =
  | (QueueTimes & {
      readonly path: Extract<DeliveryPath, "sns">;
      /** SNS envelope `Timestamp`, epoch ms. */
      readonly snsTimestamp: number;
    })
  | (QueueTimes & { readonly path: Extract<DeliveryPath, "direct" | "raw"> });

/** Latency legs of one record in ms, keyed by metric name; only the legs of its path are set. */
export type LatencyLegs = { readonly [K in LatencyMetricName]?: number };

/** Why a record cannot be measured. */
export interface Rejection {
  readonly reason: FailureReason;
  /** One line for the log. */
  readonly detail: string;
}

/** Result of {@link parseRecord}. */
export type ParseResult =
  | { readonly ok: true; readonly times: RecordTimes }
  | { readonly ok: false; readonly rejection: Rejection };

/** Clock inputs of {@link parseRecord}. */
export interface ParseOptions {
  /** Handler start, epoch ms. */
  readonly startedAt: number;
  /** How far `recorded_at` may lie after `startedAt`, in ms. */
  readonly maxClockSkewMs: number;
  /**
   * The queue's subscription uses SNS raw message delivery: the body is the payload.
   * @default - false
   */
  readonly rawMessageDelivery?: boolean;
}

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$/;
const DIGITS = /^\d{1,15}$/;

function reject(reason: FailureReason, detail: string): ParseResult {
  return { ok: false, rejection: { reason, detail } };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return `a ${typeof value}`;
}

/** Parses JSON, or returns `undefined` when the text is not JSON. */
export function tryParseJson(text: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return undefined;
  }
}

/** Whether a parsed body is an SNS envelope (an object with string `Type` and `TopicArn`). */
export function isSnsEnvelope(body: unknown): body is Record<string, unknown> {
  return isObject(body) && typeof body.Type === "string" && typeof body.TopicArn === "string";
}

/**
 * Parses an SNS `Timestamp` (ISO 8601 in UTC, e.g. `2024-05-01T12:00:00.123Z`) to epoch ms.
 *
 * @returns epoch ms, or `undefined` when the value is not such a string
 */
export function parseIsoTimestamp(value: unknown): number | undefined {
  if (typeof value !== "string" || !ISO_UTC.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}

/**
 * Parses an SQS timestamp attribute (epoch ms as a string of digits).
 *
 * @returns epoch ms, or `undefined` when missing or not a string of digits
 */
export function parseSqsTimestamp(value: unknown): number | undefined {
  if (typeof value !== "string" || !DIGITS.test(value)) return undefined;
  return Number(value);
}

function readRecordedAt(payload: unknown, options: ParseOptions): ParseResult | number {
  if (!isObject(payload)) {
    return reject("InvalidPayload", `payload is ${kindOf(payload)}, expected a JSON object`);
  }
  if (!Object.hasOwn(payload, "recorded_at")) {
    return reject("MissingRecordedAt", "payload has no recorded_at");
  }
  const recordedAt = payload.recorded_at;
  const problem = recordedAtProblem(
    recordedAt,
    options.startedAt,
    options.maxClockSkewMs,
    "handler start",
  );
  if (problem !== undefined) return reject(problem.reason, problem.detail);
  return recordedAt as number;
}

/**
 * Parses and validates one SQS record: body, optional SNS envelope, `recorded_at` and the SQS
 * timestamp attributes.
 *
 * @returns the record's timing inputs, or why it cannot be measured
 */
export function parseRecord(record: RecordInput, options: ParseOptions): ParseResult {
  const body = tryParseJson(record.body);
  if (body === undefined) return reject("InvalidJson", "SQS body is not JSON");

  const raw = options.rawMessageDelivery === true;
  let payload = body.value;
  let snsTimestamp: number | undefined;
  if (!raw && isSnsEnvelope(body.value)) {
    const envelope = body.value;
    if (envelope.Type !== "Notification") {
      return reject("InvalidEnvelope", `SNS envelope Type is ${JSON.stringify(envelope.Type)}`);
    }
    if (typeof envelope.MessageId !== "string" || envelope.MessageId === "") {
      return reject("InvalidEnvelope", "SNS envelope has no MessageId");
    }
    if (typeof envelope.Message !== "string") {
      return reject("InvalidEnvelope", `SNS envelope Message is ${kindOf(envelope.Message)}`);
    }
    snsTimestamp = parseIsoTimestamp(envelope.Timestamp);
    if (snsTimestamp === undefined) {
      return reject("InvalidEnvelope", "SNS envelope Timestamp is not an ISO 8601 UTC time");
    }
    const message = tryParseJson(envelope.Message);
    if (message === undefined) return reject("InvalidJson", "SNS envelope Message is not JSON");
    payload = message.value;
  }

  const recordedAt = readRecordedAt(payload, options);
  if (typeof recordedAt !== "number") return recordedAt;

  const attributes: Partial<Record<string, unknown>> = isObject(record.attributes)
    ? record.attributes
    : {};
  const sentTimestamp = parseSqsTimestamp(attributes.SentTimestamp);
  if (sentTimestamp === undefined) {
    return reject("InvalidSqsAttributes", "SQS attribute SentTimestamp is missing or not digits");
  }
  const firstReceiveTimestamp = parseSqsTimestamp(attributes.ApproximateFirstReceiveTimestamp);
  if (firstReceiveTimestamp === undefined) {
    return reject(
      "InvalidSqsAttributes",
      "SQS attribute ApproximateFirstReceiveTimestamp is missing or not digits",
    );
  }

  const queue = { recordedAt, sentTimestamp, firstReceiveTimestamp };
  const times: RecordTimes =
    snsTimestamp === undefined
      ? { path: raw ? "raw" : "direct", ...queue }
      : { path: "sns", snsTimestamp, ...queue };
  return { ok: true, times };
}

/**
 * Latency legs of one record, exactly as the metric contract's formulas say. Values may be
 * negative when clocks disagree; callers decide how to emit them.
 *
 * @param times - the record's timing inputs, from {@link parseRecord}
 * @param startedAt - handler start, epoch ms
 */
export function computeLegs(times: RecordTimes, startedAt: number): LatencyLegs {
  const shared = {
    SqsDwellLatency: times.firstReceiveTimestamp - times.sentTimestamp,
    SqsToConsumerLatency: startedAt - times.firstReceiveTimestamp,
    EndToEndLatency: startedAt - times.recordedAt,
  };
  if (times.path === "sns") {
    return {
      ProducerToSnsLatency: times.snsTimestamp - times.recordedAt,
      SnsToSqsLatency: times.sentTimestamp - times.snsTimestamp,
      ...shared,
    };
  }
  return { ProducerToSqsLatency: times.sentTimestamp - times.recordedAt, ...shared };
}

/**
 * The SNS `MessageId` of a record whose body is an SNS envelope: the key of the message in every
 * region. `undefined` for anything else.
 */
export function snsMessageId(record: Pick<RecordInput, "body">): string | undefined {
  const body = tryParseJson(record.body);
  if (body === undefined || !isSnsEnvelope(body.value)) return undefined;
  const id = body.value.MessageId;
  return typeof id === "string" && id !== "" ? id : undefined;
}

/**
 * What the idempotency store knows the message of a measured record by, the same in every
 * region's copy: the SNS `MessageId` of an envelope; with raw delivery (no envelope) the
 * `idempotency_key` attribute SNS hands on, under its own name so that it never meets an SNS id.
 * `undefined` for a message sent straight to one queue, which has no copy elsewhere, and for a
 * raw message without a key (it cannot be told from another).
 */
export function storeKeyOf(
  record: Pick<SQSRecord, "body" | "messageAttributes">,
  path: DeliveryPath,
): string | undefined {
  if (path === "sns") return snsMessageId(record);
  if (path !== "raw") return undefined;
  const key = record.messageAttributes?.[IDEMPOTENCY_ATTRIBUTE]?.stringValue;
  return key ? `${IDEMPOTENCY_ATTRIBUTE}:${key}` : undefined;
}
