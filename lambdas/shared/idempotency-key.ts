/**
 * The message attribute carrying a message's idempotency key on every producer path (the API
 * turns its `Idempotency-Key` header into it; the CLI sets it on what it sends to SNS and SQS).
 * It is the same on every resend of a message and, being a message attribute, in every region's
 * copy of it, enveloped or raw: what consumers and the local runtime follow a message by where
 * no SNS envelope (and so no SNS `MessageId`) reaches them.
 */
export const IDEMPOTENCY_ATTRIBUTE = "idempotency_key";
