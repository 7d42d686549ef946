/**
 * SQS consumer of one fan-out queue: measures each message's latency legs as EMF metrics and
 * reports unmeasurable records in `batchItemFailures`.
 *
 * Configuration, logger and metrics are created once per execution environment, at init.
 */
import type { SQSHandler } from "aws-lambda";
import { createConsumer } from "./handler";

const consumer = createConsumer(process.env);

/** Lambda entry point (`index.handler`). */
export const handler: SQSHandler = consumer.handler;
