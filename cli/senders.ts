/**
 * Sending test messages to one stack, by one of three paths: SNS (the topic), the stack's REST
 * API (SigV4-signed), or SQS directly (the active queue, bypassing SNS).
 */
import { PublishBatchCommand, PublishCommand } from "@aws-sdk/client-sns";
import { SendMessageBatchCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import { ATTRIBUTES_FIELD } from "../lambdas/producer-api/attributes";
import { MESSAGE_GROUP_FIELD } from "../lambdas/producer-api/fifo";
import { apiAttributes, withIdempotencyKey, type MessageAttributes } from "./attributes";
import type { AwsClients, Credentials } from "./aws";
import { isPermanentCode, isRetryableCode } from "./errors";
import type { MessageGroups } from "./message-groups";
import { postMessage } from "./api-post";
import type { HttpClient } from "./http";
import { regionOfQueueUrl, type StackOutputs } from "./outputs";

/** How messages travel. */
export const VIAS = ["sns", "api", "sqs"] as const;
export type Via = (typeof VIAS)[number];

/** The test message. `recorded_at` is the producer's clock in epoch milliseconds. */
export interface Message {
  readonly recorded_at: number;
  readonly seq: number;
  readonly producer: string;
  /**
   * A UUID made once per message and kept across every resend and failover: the message's
   * idempotency key.
   * @default - `<producer>-<seq>`
   */
  readonly id?: string;
}

/** Where one stack receives messages for a given path. */
export interface Target {
  /** Stack name. */
  readonly stack: string;
  /** Region the call goes to. */
  readonly region: string;
  /** Topic ARN (sns), queue URL (sqs) or `POST /messages` URL (api). */
  readonly address: string;
  /** The stack's `GET /health` URL, when known. */
  readonly healthUrl?: string;
}

/** `primary/us-east-1`. */
export function targetLabel(target: Target): string {
  return `${target.stack}/${target.region}`;
}

/** The target of a stack for a path; requires only the outputs that path needs. */
export function targetOf(stack: StackOutputs, via: Via, withHealth = false): Target {
  const region = stack.region();
  const healthUrl = withHealth ? stack.string("health_url") : undefined;
  switch (via) {
    case "sns":
      return { stack: stack.name, region, address: stack.string("topic_arn"), healthUrl };
    case "api":
      return { stack: stack.name, region, address: stack.string("messages_url"), healthUrl };
    case "sqs": {
      const url = stack.string("active_queue_url");
      return { stack: stack.name, region: regionOfQueueUrl(url, region), address: url, healthUrl };
    }
  }
}

/** Result of one message in a call that returned. */
export type EntryResult =
  | { readonly seq: number; readonly ok: true; readonly messageId: string }
  | {
      readonly seq: number;
      readonly ok: false;
      /** Why it failed, one line. */
      readonly reason: string;
      /** The request itself was wrong: sending it again cannot succeed. */
      readonly senderFault: boolean;
    };

export interface Sender {
  readonly via: Via;
  /** Most messages per call. */
  readonly batchSize: number;
  /**
   * Sends messages (at most `batchSize`) in one call. Answers one result per message when the call
   * returned; throws when the call itself failed (network, throttling, server error, timeout).
   */
  send(target: Target, messages: readonly Message[], signal?: AbortSignal): Promise<EntryResult[]>;
}

export interface SenderDeps {
  readonly aws: AwsClients;
  readonly http: HttpClient;
  /** Credentials for signing API calls; called on the first API call. */
  readonly credentials: () => Credentials;
}

/** SNS and SQS batch calls take at most 10 entries. */
export const MAX_BATCH = 10;

export function messageBody(message: Message): string {
  return JSON.stringify({
    recorded_at: message.recorded_at,
    seq: message.seq,
    producer: message.producer,
  });
}

/**
 * Body of a message sent through the API: no `recorded_at`, so the API stamps it with the AWS
 * clock and API-path latencies carry no producer clock skew; the attributes, if any, in the
 * API's `_attributes` field; to a FIFO unit, the message group in `message_group_id`.
 */
export function apiMessageBody(
  message: Message,
  attributes: MessageAttributes = {},
  groups?: MessageGroups,
): string {
  const body = { seq: message.seq, producer: message.producer };
  return JSON.stringify({
    ...body,
    ...(Object.keys(attributes).length > 0 && { [ATTRIBUTES_FIELD]: apiAttributes(attributes) }),
    ...(groups && { [MESSAGE_GROUP_FIELD]: groups.groupOf(message) }),
  });
}

/** Idempotency key of a message, so consumers can drop a copy re-sent after a failover. */
export function idempotencyKey(message: Message): string {
  return message.id ?? `${message.producer}-${message.seq}`;
}

/**
 * To a FIFO unit: the message's group and, as its deduplication id, its idempotency key (so a
 * resend is dropped whether or not the unit deduplicates by content). SNS and SQS name both
 * alike.
 */
function fifoIds(message: Message, groups: MessageGroups | undefined) {
  return (
    groups && {
      MessageGroupId: groups.groupOf(message),
      MessageDeduplicationId: idempotencyKey(message),
    }
  );
}

/** A message as SNS takes it, in Publish and in a PublishBatch entry. */
function snsMessage(message: Message, attributes: MessageAttributes, groups?: MessageGroups) {
  return {
    Message: messageBody(message),
    MessageAttributes: withIdempotencyKey(attributes, idempotencyKey(message)),
    ...fifoIds(message, groups),
  };
}

/** A message as SQS takes it, in SendMessage and in a SendMessageBatch entry. */
function sqsMessage(message: Message, attributes: MessageAttributes, groups?: MessageGroups) {
  return {
    MessageBody: messageBody(message),
    MessageAttributes: withIdempotencyKey(attributes, idempotencyKey(message)),
    ...fifoIds(message, groups),
  };
}

/** Batch entry id of a message; unique in a batch, `[A-Za-z0-9_-]`. */
function entryId(message: Message): string {
  return `m${message.seq}`;
}

interface BatchAnswer {
  readonly Successful?: readonly { Id?: string; MessageId?: string }[];
  readonly Failed?: readonly {
    Id?: string;
    Code?: string;
    Message?: string;
    SenderFault?: boolean;
  }[];
}

/** Matches a batch answer (SNS PublishBatch or SQS SendMessageBatch) to the messages sent. */
export function batchResults(messages: readonly Message[], answer: BatchAnswer): EntryResult[] {
  const ok = new Map((answer.Successful ?? []).map((entry) => [entry.Id, entry]));
  const failed = new Map((answer.Failed ?? []).map((entry) => [entry.Id, entry]));
  return messages.map((message): EntryResult => {
    const id = entryId(message);
    const success = ok.get(id);
    if (success) return { seq: message.seq, ok: true, messageId: success.MessageId ?? "" };
    const failure = failed.get(id);
    if (failure) {
      const reason = [failure.Code, failure.Message].filter(Boolean).join(": ") || "failed";
      // By code first: KMSThrottling comes flagged as the sender's fault and passes on a retry.
      const senderFault =
        !isRetryableCode(failure.Code) &&
        (failure.SenderFault === true || isPermanentCode(failure.Code));
      return { seq: message.seq, ok: false, reason, senderFault };
    }
    return { seq: message.seq, ok: false, reason: "no result for entry", senderFault: false };
  });
}

/**
 * A sender for a path. With `batch`, SNS and SQS use their batch calls (up to 10 messages per
 * call); the API takes one message per call either way. Every message carries `attributes`
 * (for subscription filter policies) besides its idempotency key, and, with `groups` (the
 * targets are FIFO units), its message group and the key as its deduplication id.
 */
export function createSender(
  via: Via,
  deps: SenderDeps,
  batch: boolean,
  attributes: MessageAttributes = {},
  groups?: MessageGroups,
): Sender {
  const { aws } = deps;
  switch (via) {
    case "sns":
      return batch
        ? batched(via, (target, messages, abortSignal) =>
            aws.sns(target.region).send(
              new PublishBatchCommand({
                TopicArn: target.address,
                PublishBatchRequestEntries: messages.map((m) => ({
                  Id: entryId(m),
                  ...snsMessage(m, attributes, groups),
                })),
              }),
              { abortSignal },
            ),
          )
        : byMessageId(via, (target, message, abortSignal) =>
            aws.sns(target.region).send(
              new PublishCommand({
                TopicArn: target.address,
                ...snsMessage(message, attributes, groups),
              }),
              {
                abortSignal,
              },
            ),
          );
    case "sqs":
      return batch
        ? batched(via, (target, messages, abortSignal) =>
            aws.sqs(target.region).send(
              new SendMessageBatchCommand({
                QueueUrl: target.address,
                Entries: messages.map((m) => ({
                  Id: entryId(m),
                  ...sqsMessage(m, attributes, groups),
                })),
              }),
              { abortSignal },
            ),
          )
        : byMessageId(via, (target, message, abortSignal) =>
            aws.sqs(target.region).send(
              new SendMessageCommand({
                QueueUrl: target.address,
                ...sqsMessage(message, attributes, groups),
              }),
              {
                abortSignal,
              },
            ),
          );
    case "api":
      return oneByOne(via, (target, message, signal) =>
        postMessage(
          deps.http,
          deps.credentials(),
          target,
          apiMessageBody(message, attributes, groups),
          { message, key: idempotencyKey(message), signal },
        ),
      );
  }
}

/** A sender making one call per message. */
function oneByOne(
  via: Via,
  call: (target: Target, message: Message, signal?: AbortSignal) => Promise<EntryResult>,
): Sender {
  return {
    via,
    batchSize: 1,
    async send(target, messages, signal) {
      const results: EntryResult[] = [];
      for (const message of messages) results.push(await call(target, message, signal));
      return results;
    },
  };
}

/** A sender making one call per message to a service that answers its `MessageId`. */
function byMessageId(
  via: Via,
  call: (target: Target, message: Message, signal?: AbortSignal) => Promise<{ MessageId?: string }>,
): Sender {
  return oneByOne(via, async (target, message, signal) => {
    const answer = await call(target, message, signal);
    return { seq: message.seq, ok: true, messageId: answer.MessageId ?? "" };
  });
}

/** A sender making one batch call (SNS PublishBatch, SQS SendMessageBatch) per 10 messages. */
function batched(
  via: Via,
  call: (
    target: Target,
    messages: readonly Message[],
    signal?: AbortSignal,
  ) => Promise<BatchAnswer>,
): Sender {
  return {
    via,
    batchSize: MAX_BATCH,
    async send(target, messages, signal) {
      return batchResults(messages, await call(target, messages, signal));
    },
  };
}
