import {
  BatchProcessor,
  EventType,
  processPartialResponse,
  SqsFifoPartialProcessorAsync,
} from "@aws-lambda-powertools/batch";
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import {
  BATCH_METRICS,
  DUPLICATES_SKIPPED_METRIC,
  FAILED_RECORDS_METRIC,
  HELD_BACK_METRIC,
  LATENCY_METRICS,
  METRIC_NAMESPACE,
  REASON_DIMENSION,
  type FailureReason,
  type LatencyMetricName,
  type MetricDefinition,
} from "../shared/metrics";
import { loadConsumerConfig, type ConsumerConfig } from "./config";
import { CONSUMER_ENV } from "./env";
import type { ProcessOnce, ProcessOnceOptions } from "./idempotency";
import { computeLegs, parseRecord, storeKeyOf, type LatencyLegs, type Rejection } from "./latency";

/** The consumer's Lambda handler, narrowed to what it really takes and returns. */
export type ConsumerHandler = (event: SQSEvent, context?: Context) => Promise<SQSBatchResponse>;

/** What {@link createHandler} needs. */
export interface ConsumerDeps {
  /** Validated settings. */
  readonly config: ConsumerConfig;
  /** Structured logger. */
  readonly logger: Logger;
  /** EMF metrics, configured with the contract's namespace and dimensions. */
  readonly metrics: Metrics;
  /**
   * Clock read once per invocation as the handler start.
   * @default - `Date.now`
   */
  readonly clock?: () => number;
  /**
   * The unit's idempotency store: SNS messages already processed in any region are skipped.
   * @default - none; every record is processed
   */
  readonly once?: ProcessOnce;
}

/** A consumer wired from its environment. */
export interface Consumer extends Required<Omit<ConsumerDeps, "once">>, Pick<ConsumerDeps, "once"> {
  /** The Lambda handler. */
  readonly handler: ConsumerHandler;
}

/** A record rejected as unmeasurable; the batch processor reports it in `batchItemFailures`. */
export class RecordRejectedError extends Error {
  /** Failure reason, as counted in `FailedRecords`. */
  public readonly reason: FailureReason;

  constructor(rejection: Rejection) {
    super(`${rejection.reason}: ${rejection.detail}`);
    this.name = "RecordRejectedError";
    this.reason = rejection.reason;
  }
}

/** Per-invocation results, turned into metrics once the batch is done. */
interface Tally {
  readonly legs: LatencyLegs[];
  readonly failures: Map<FailureReason, number>;
  /** Records skipped as processed before; `undefined` without an idempotency store. */
  duplicates?: number;
  /** Records of a failed FIFO message group returned unprocessed; `undefined` off FIFO queues. */
  heldBack?: number;
}

// The contract's unit and resolution literals are Powertools' own: a mismatch fails to compile.
function emit(metrics: Metrics, metric: MetricDefinition, value: number): void {
  metrics.addMetric(metric.name, metric.unit, value, metric.resolution);
}

function emitTally(metrics: Metrics, tally: Tally, batchSize: number): void {
  let negatives = 0;
  for (const legs of tally.legs) {
    for (const [name, value] of Object.entries(legs) as [LatencyMetricName, number][]) {
      if (value < 0) negatives += 1;
      emit(metrics, LATENCY_METRICS[name], Math.max(0, value));
    }
  }
  let failed = 0;
  for (const [reason, count] of tally.failures) {
    failed += count;
    // One blob per reason: every metric of a blob shares its dimensions, and only this one has Reason.
    const single = metrics.singleMetric();
    single.addDimension(REASON_DIMENSION, reason);
    emit(single, FAILED_RECORDS_METRIC, count);
  }
  emit(metrics, BATCH_METRICS.BatchSize, batchSize);
  emit(metrics, BATCH_METRICS.Processed, tally.legs.length);
  emit(metrics, BATCH_METRICS.Failed, failed);
  emit(metrics, BATCH_METRICS.NegativeLatencies, negatives);
  if (tally.duplicates !== undefined) emit(metrics, DUPLICATES_SKIPPED_METRIC, tally.duplicates);
  if (tally.heldBack !== undefined) emit(metrics, HELD_BACK_METRIC, tally.heldBack);
}

/** Records reported in `batchItemFailures` that the record handler never failed. */
function countHeldBack(response: SQSBatchResponse, tally: Tally): number {
  let failed = 0;
  for (const count of tally.failures.values()) failed += count;
  return response.batchItemFailures.length - failed;
}

/**
 * Builds the SQS handler: measures every record, reports unmeasurable ones in
 * `batchItemFailures` (never failing the whole batch, even when every record is bad) and flushes
 * the invocation's metrics before returning. Records are never retried in-process. On a FIFO
 * queue records are handled one by one in order, and after a record of a message group fails
 * the group's later records in the batch are reported too, unprocessed (Powertools'
 * `SqsFifoPartialProcessorAsync` with `skipGroupOnError`), so SQS hands the group out again in
 * its order; other groups go on.
 */
export function createHandler(deps: ConsumerDeps): ConsumerHandler {
  const { config, logger, metrics, once } = deps;
  const clock = deps.clock ?? Date.now;

  return async (event, context) => {
    const startedAt = clock();
    if (context !== undefined) {
      logger.addContext(context);
      once?.registerContext(context);
    }
    const tally: Tally = { legs: [], failures: new Map(), duplicates: once && 0 };

    const fail = (record: SQSRecord, rejection: Rejection, error?: unknown): never => {
      tally.failures.set(rejection.reason, (tally.failures.get(rejection.reason) ?? 0) + 1);
      const fields = { messageId: record.messageId, reason: rejection.reason };
      if (error === undefined) {
        logger.warn(`Record rejected: ${rejection.detail}`, fields);
      } else {
        logger.error(`Record failed: ${rejection.detail}`, { ...fields, error });
      }
      throw new RecordRejectedError(rejection);
    };

    const recordHandler = async (record: SQSRecord): Promise<void> => {
      let parsed;
      try {
        parsed = parseRecord(record, {
          startedAt,
          maxClockSkewMs: config.maxClockSkewMs,
          rawMessageDelivery: config.rawMessageDelivery,
        });
      } catch (error) {
        fail(record, { reason: "Unexpected", detail: (error as Error).message }, error);
        return;
      }
      if (!parsed.ok) {
        fail(record, parsed.rejection);
        return;
      }
      const { times } = parsed;
      // Only SNS deliveries have copies in other regions; bad records never reach the store.
      const key = once === undefined ? undefined : storeKeyOf(record, times.path);
      if (once === undefined || key === undefined) {
        tally.legs.push(computeLegs(times, startedAt));
        return;
      }
      // Measured inside the store's step; counted only once the store marked it completed.
      let legs: LatencyLegs | undefined;
      let outcome;
      try {
        outcome = await once.run(key, () => void (legs = computeLegs(times, startedAt)));
      } catch (error) {
        const detail = `idempotency store: ${(error as Error).message}`;
        fail(record, { reason: "Unexpected", detail }, error);
        return;
      }
      if (outcome === "processed" && legs !== undefined) {
        tally.legs.push(legs);
      } else {
        tally.duplicates = (tally.duplicates ?? 0) + 1;
        logger.info("Record skipped: processed before", {
          messageId: record.messageId,
          storeKey: key,
        });
      }
    };

    try {
      if (!config.fifo) {
        const processor = new BatchProcessor(EventType.SQS, { logger });
        return await processPartialResponse(event, recordHandler, processor, {
          context,
          throwOnFullBatchFailure: false,
        });
      }
      const response = await processPartialResponse(
        event,
        recordHandler,
        new SqsFifoPartialProcessorAsync(),
        { context, throwOnFullBatchFailure: false, skipGroupOnError: true },
      );
      tally.heldBack = countHeldBack(response, tally);
      return response;
    } finally {
      emitTally(metrics, tally, Array.isArray(event?.Records) ? event.Records.length : 0);
      metrics.publishStoredMetrics();
    }
  };
}

/** Options of {@link createConsumer}. */
export interface CreateConsumerOptions {
  /**
   * Clock read once per invocation as the handler start.
   * @default - `Date.now`
   */
  readonly clock?: () => number;
  /**
   * Builds the idempotency store the environment names. Only the entry that deploys with the
   * store passes it (`idempotent.ts`), so the plain entry's package holds no DynamoDB code.
   * @default - none; an environment naming a store is refused
   */
  readonly processOnce?: (options: ProcessOnceOptions) => ProcessOnce;
}

/**
 * Wires a consumer from environment variables: config, Powertools logger and metrics (namespace
 * and dimensions from the metric contract), handler.
 *
 * @throws Error when the environment is invalid (see `loadConsumerConfig`), or names an
 *   idempotency store without `options.processOnce`
 */
export function createConsumer(
  env: NodeJS.ProcessEnv,
  options: CreateConsumerOptions = {},
): Consumer {
  const config = loadConsumerConfig(env);
  const logger = new Logger({
    serviceName: config.unitName,
    persistentKeys: { stack: config.stack, role: config.role },
  });
  const metrics = new Metrics({
    namespace: METRIC_NAMESPACE,
    serviceName: config.dimensions.service,
    defaultDimensions: { ...config.dimensions },
  });
  const clock = options.clock ?? Date.now;
  if (config.idempotency !== undefined && options.processOnce === undefined) {
    throw new Error(
      `Invalid ${CONSUMER_ENV.idempotencyTable} ${JSON.stringify(config.idempotency.tableName)}: this package has no idempotency store; deploy lambdas/consumer/idempotent.ts`,
    );
  }
  // Every consumer of the unit keys by the unit name, so the regions see each other's marks.
  const once =
    config.idempotency &&
    options.processOnce?.({ ...config.idempotency, keyPrefix: config.unitName });
  const handler = createHandler({ config, logger, metrics, clock, once });
  return { config, logger, metrics, clock, handler, once };
}
