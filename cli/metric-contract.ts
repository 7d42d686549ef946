/**
 * The consumer's latency metrics as the CLI reads them, taken from the project's metric
 * contract (`lambdas/shared/metrics.ts`), which the consumers emit through and the dashboard
 * is built from: one definition, so the CLI cannot read names nobody emits.
 */
import { LATENCY_METRIC_NAMES, type LatencyMetricName } from "../lambdas/shared/metrics";

export {
  METRIC_NAMESPACE,
  ROLE_DIMENSION,
  SERVICE_DIMENSION,
  type QueueRole,
} from "../lambdas/shared/metrics";

/**
 * Latency legs in milliseconds, in the order a message travels. `ProducerToSqsLatency` is emitted
 * instead of the two SNS legs for messages sent straight to a queue.
 */
export const LATENCY_METRICS = LATENCY_METRIC_NAMES;

export type LatencyMetric = LatencyMetricName;

/** The leg used for the cross-region lag (replica minus active). */
export const END_TO_END_METRIC: LatencyMetric = "EndToEndLatency";

/** Suffix of the topic name; the service dimension is the topic name without it. */
export const TOPIC_NAME_SUFFIX = "-topic";
