/**
 * The consumer's latency metrics as the CLI reads them. This mirrors the project's shared metric
 * module, `lambdas/shared/metrics.ts`, which owns the contract (the consumers emit through it and
 * the dashboard is built from it); keep the two in step.
 */

/** CloudWatch namespace of every consumer metric. */
export const METRIC_NAMESPACE = "SnsSqsMultiRegion";

/** Dimension naming the fan-out unit: `<prefix>-<stack>`, e.g. `fanout-primary`. */
export const SERVICE_DIMENSION = "service";

/** Dimension telling the home region's queue from the cross-region copies. */
export const ROLE_DIMENSION = "Role";

/** Values of the role dimension. */
export type QueueRole = "active" | "replica";

/**
 * Latency legs in milliseconds, in the order a message travels. `ProducerToSqsLatency` is emitted
 * instead of the two SNS legs for messages sent straight to a queue.
 */
export const LATENCY_METRICS = [
  "ProducerToSnsLatency",
  "SnsToSqsLatency",
  "ProducerToSqsLatency",
  "SqsDwellLatency",
  "SqsToConsumerLatency",
  "EndToEndLatency",
] as const;

export type LatencyMetric = (typeof LATENCY_METRICS)[number];

/** The leg used for the cross-region lag (replica minus active). */
export const END_TO_END_METRIC: LatencyMetric = "EndToEndLatency";

/** Suffix of the topic name; the service dimension is the topic name without it. */
export const TOPIC_NAME_SUFFIX = "-topic";
