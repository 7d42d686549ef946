/**
 * What a publish to a FIFO topic carries besides the message: the message group id, from the
 * body's reserved `message_group_id` field, and the deduplication id, from the
 * `Idempotency-Key` header. SNS's rules for both: 1 to 128 characters, each alphanumeric or
 * punctuation (``!"#$%&'()*+,-./:;<=>?@[\]^_`{|}~``).
 */
import type { FifoTopic } from "./env";
import { IDEMPOTENCY_HEADER } from "./attributes";

/** Reserved top-level body field naming the message group; never published in the message. */
export const MESSAGE_GROUP_FIELD = "message_group_id";

/** Longest message group id and deduplication id SNS accepts. */
export const MAX_FIFO_ID_LENGTH = 128;

/** Alphanumerics and ASCII punctuation: every visible ASCII character. */
const FIFO_ID = /^[\x21-\x7E]+$/;

/** Why `value` is not a valid SNS message group id (or deduplication id), or `undefined`. */
export function fifoIdProblem(value: unknown): string | undefined {
  if (typeof value !== "string") {
    return `must be a string (got ${value === null ? "null" : Array.isArray(value) ? "an array" : typeof value})`;
  }
  if (value.length === 0) return "must not be empty";
  if (value.length > MAX_FIFO_ID_LENGTH) {
    return `is ${value.length} characters, longer than ${MAX_FIFO_ID_LENGTH}`;
  }
  if (!FIFO_ID.test(value)) {
    return "may contain only letters, digits and ASCII punctuation (no spaces)";
  }
  return undefined;
}

/** The FIFO parameters of a publish, or why the request cannot have them. */
export type FifoPublishResult =
  | {
      readonly ok: true;
      /** `MessageGroupId` of the publish; `undefined` on a standard topic. */
      readonly messageGroupId?: string;
      /** `MessageDeduplicationId`; `undefined` on a standard topic or to dedupe by content. */
      readonly deduplicationId?: string;
    }
  | { readonly ok: false; readonly message: string };

/**
 * The group and deduplication ids of a publish to `fifo` (`undefined`: a standard topic),
 * from the body's `message_group_id` (`present` tells an absent field from `undefined`) and the
 * `Idempotency-Key` header. Pure.
 */
export function fifoPublish(
  fifo: FifoTopic | undefined,
  groupField: { readonly present: boolean; readonly value: unknown },
  idempotencyKey: string | undefined,
): FifoPublishResult {
  const field = `"${MESSAGE_GROUP_FIELD}"`;
  if (fifo === undefined) {
    if (!groupField.present) return { ok: true };
    return {
      ok: false,
      message: `${field} is only for FIFO units; this unit's topic is a standard topic, which keeps no order: leave it out`,
    };
  }
  if (!groupField.present) {
    return {
      ok: false,
      message: `${field} is required: this unit's topic is a FIFO topic, which orders messages per group`,
    };
  }
  const groupProblem = fifoIdProblem(groupField.value);
  if (groupProblem !== undefined) {
    return { ok: false, message: `${field} ${groupProblem}` };
  }
  if (idempotencyKey === undefined) {
    if (fifo.contentBasedDeduplication) {
      return { ok: true, messageGroupId: groupField.value as string };
    }
    return {
      ok: false,
      message: `${IDEMPOTENCY_HEADER} is required: this unit's FIFO topic deduplicates by it (no content-based deduplication)`,
    };
  }
  const keyProblem = fifoIdProblem(idempotencyKey);
  if (keyProblem !== undefined) {
    return {
      ok: false,
      message: `${IDEMPOTENCY_HEADER} ${keyProblem}: on a FIFO topic it is the deduplication id`,
    };
  }
  return { ok: true, messageGroupId: groupField.value as string, deduplicationId: idempotencyKey };
}
