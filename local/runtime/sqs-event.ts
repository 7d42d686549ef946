/**
 * What Lambda's SQS poller makes of messages and answers: the `SQSEvent` record it builds for a
 * received message, and its reading of the function's answer to a batch.
 */
import type { Message, MessageAttributeValue } from "@aws-sdk/client-sqs";
import type { SQSMessageAttributes, SQSRecord, SQSRecordAttributes } from "aws-lambda";
import { IDEMPOTENCY_ATTRIBUTE } from "../../lambdas/shared/idempotency-key";
import type { DeployedMapping, InvokeResult } from "./types";

/** The `SQSEvent` record Lambda builds for one received message. */
export function sqsRecordOf(message: Message, mapping: DeployedMapping): SQSRecord {
  const system = message.Attributes ?? {};
  // Lambda's order: the four standard attributes first, then whatever else SQS returned.
  const attributes: Record<string, string> = {};
  for (const key of [
    "ApproximateReceiveCount",
    "SentTimestamp",
    "SenderId",
    "ApproximateFirstReceiveTimestamp",
  ]) {
    const value = system[key as keyof typeof system];
    if (value !== undefined) attributes[key] = value;
  }
  for (const [key, value] of Object.entries(system)) {
    if (value !== undefined && !(key in attributes)) attributes[key] = value;
  }
  const record: SQSRecord = {
    messageId: message.MessageId ?? "",
    receiptHandle: message.ReceiptHandle ?? "",
    body: message.Body ?? "",
    attributes: attributes as unknown as SQSRecordAttributes,
    messageAttributes: messageAttributesOf(message.MessageAttributes),
    md5OfBody: message.MD5OfBody ?? "",
    eventSource: "aws:sqs",
    eventSourceARN: mapping.queueArn,
    awsRegion: mapping.region,
  };
  if (message.MD5OfMessageAttributes !== undefined) {
    record.md5OfMessageAttributes = message.MD5OfMessageAttributes;
  }
  return record;
}

function base64(value: Uint8Array): string {
  return Buffer.from(value).toString("base64");
}

/** Message attributes in Lambda's shape: camel-case keys, binary values base64, lists always present. */
export function messageAttributesOf(
  attributes: Record<string, MessageAttributeValue> | undefined,
): SQSMessageAttributes {
  const result: SQSMessageAttributes = {};
  for (const [name, value] of Object.entries(attributes ?? {})) {
    result[name] = {
      ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
      ...(value.BinaryValue !== undefined ? { binaryValue: base64(value.BinaryValue) } : {}),
      stringListValues: value.StringListValues ?? [],
      binaryListValues: (value.BinaryListValues ?? []).map((item) => base64(item)),
      dataType: (value.DataType ?? "String") as SQSMessageAttributes[string]["dataType"],
    };
  }
  return result;
}

/** The SNS envelope a body is, or undefined when it is not one (raw delivery, sent straight to SQS). */
function envelopeOf(body: string): Record<string, unknown> | undefined {
  if (!body.startsWith("{")) return undefined;
  try {
    const envelope = JSON.parse(body) as Record<string, unknown>;
    if (
      typeof envelope === "object" &&
      envelope !== null &&
      typeof envelope.MessageId === "string" &&
      typeof envelope.TopicArn === "string" &&
      (envelope.Type === "Notification" || envelope.Type === undefined)
    ) {
      return envelope;
    }
  } catch {
    // not JSON: sent straight to SQS
  }
  return undefined;
}

/** `MessageId` of the SNS envelope a body is, or undefined when it is not one. */
export function snsMessageIdOf(body: string): string | undefined {
  return envelopeOf(body)?.MessageId as string | undefined;
}

/** What identifies a delivered message in the journal (see `DeliveryRecord`). */
export interface MessageKeys {
  readonly snsMessageId?: string;
  readonly idempotencyKey?: string;
}

/** A string attribute's value in the envelope's `{ Type, Value }` shape, if it is one. */
function envelopeAttribute(envelope: Record<string, unknown>, name: string): string | undefined {
  const attributes = envelope.MessageAttributes as Record<string, unknown> | undefined;
  const attribute = attributes?.[name] as { Type?: unknown; Value?: unknown } | undefined;
  return attribute?.Type === "String" && typeof attribute.Value === "string"
    ? attribute.Value
    : undefined;
}

/**
 * The keys of a delivered record: the SNS `MessageId` when the body is an envelope, and the
 * `idempotency_key` message attribute every producer path attaches, read from the envelope's
 * `MessageAttributes` or, for a raw body (raw message delivery, or sent straight to SQS), from
 * the SQS message attributes, where SNS puts a raw delivery's attributes. Empty values count as
 * absent.
 */
export function messageKeysOf(record: Pick<SQSRecord, "body" | "messageAttributes">): MessageKeys {
  const envelope = envelopeOf(record.body);
  const idempotencyKey =
    envelope !== undefined
      ? envelopeAttribute(envelope, IDEMPOTENCY_ATTRIBUTE)
      : record.messageAttributes?.[IDEMPOTENCY_ATTRIBUTE]?.stringValue;
  const snsMessageId = envelope?.MessageId as string | undefined;
  return {
    ...(snsMessageId ? { snsMessageId } : {}),
    ...(idempotencyKey ? { idempotencyKey } : {}),
  };
}

/** Which records of a batch failed, as Lambda reads the function's answer. */
export type BatchVerdict =
  | { readonly kind: "all-succeeded" }
  | { readonly kind: "all-failed"; readonly reason: string }
  | { readonly kind: "partial"; readonly failed: ReadonlySet<string> };

/**
 * Lambda's reading of an invocation's answer. An error or timeout fails the whole batch.
 * Without `ReportBatchItemFailures` any answer succeeds it. With it, a null or empty answer or
 * `batchItemFailures` succeeds it, the listed message ids fail, and an answer Lambda cannot read
 * (not an object, `batchItemFailures` not a list, an entry without an `itemIdentifier` of the
 * batch) fails the whole batch.
 */
export function batchVerdict(
  result: InvokeResult,
  batch: readonly SQSRecord[],
  reportBatchItemFailures: boolean,
): BatchVerdict {
  if (!result.ok) {
    return { kind: "all-failed", reason: `${result.errorType}: ${result.errorMessage}` };
  }
  if (!reportBatchItemFailures) return { kind: "all-succeeded" };
  const answer = result.result;
  if (answer === null || answer === undefined) return { kind: "all-succeeded" };
  if (typeof answer !== "object" || Array.isArray(answer)) {
    return { kind: "all-failed", reason: `invalid response ${JSON.stringify(answer)}` };
  }
  const failures = (answer as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === null || failures === undefined) return { kind: "all-succeeded" };
  if (!Array.isArray(failures)) {
    return { kind: "all-failed", reason: "batchItemFailures is not a list" };
  }
  const ids = new Set(batch.map((record) => record.messageId));
  const failed = new Set<string>();
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== "string" || id === "" || !ids.has(id)) {
      return {
        kind: "all-failed",
        reason: `invalid batchItemFailures entry ${JSON.stringify(failure)}`,
      };
    }
    failed.add(id);
  }
  return failed.size === 0 ? { kind: "all-succeeded" } : { kind: "partial", failed };
}
