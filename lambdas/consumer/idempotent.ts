/**
 * SQS consumer of one fan-out queue with the unit's idempotency store (setting
 * `idempotencyStore`): as `index.ts`, but a message already processed in any region of the unit
 * is skipped and counted instead of measured again. A separate entry, so consumers without the
 * store keep a package without DynamoDB code.
 */
import type { SQSHandler } from "aws-lambda";
import { createConsumer } from "./handler";
import { processOnce } from "./idempotency";

const consumer = createConsumer(process.env, { processOnce });

/** Lambda entry point (`index.handler`). */
export const handler: SQSHandler = consumer.handler;
