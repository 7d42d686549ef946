/**
 * The metric contract of the fan-out: namespace, metric names, units, resolutions and dimensions.
 *
 * The consumer emits through this module and the dashboard and alarms are built from it, so the
 * two cannot drift apart. It holds plain constants, types and functions only (no Powertools
 * runtime import), so infrastructure code can import it at synth time for free. Queue roles
 * are names of the unit, defined in `config/names.ts`.
 */
import type { QueueRole } from "../../config/names";

/** CloudWatch namespace of every metric the fan-out emits. */
export const METRIC_NAMESPACE = "SnsSqsMultiRegion";

/** CloudWatch units used by the contract (spelled as CloudWatch and Powertools spell them). */
export type MetricUnitName = "Milliseconds" | "Count";

/** CloudWatch storage resolution in seconds: 1 is high resolution, 60 is standard. */
export type StorageResolution = 1 | 60;

/** High resolution (1 s) storage. */
export const HIGH_RESOLUTION = 1 satisfies StorageResolution;

/** Standard resolution (60 s) storage. */
export const STANDARD_RESOLUTION = 60 satisfies StorageResolution;

/** One metric of the contract. */
export interface MetricDefinition {
  /** CloudWatch metric name. */
  readonly name: string;
  /** CloudWatch unit. */
  readonly unit: MetricUnitName;
  /** Storage resolution in seconds. */
  readonly resolution: StorageResolution;
  /** One sentence for dashboards and alarm descriptions. */
  readonly description: string;
}

/**
 * How a message reached the queue: `sns` when the SQS body is an SNS envelope, `direct` when a
 * producer sent it straight to SQS, `raw` when SNS delivered it with raw message delivery (the
 * body as published, no envelope and so no SNS `Timestamp`).
 */
export type DeliveryPath = "sns" | "direct" | "raw";

/** Latency metric names, in the order a message travels (dashboards print them in this order). */
export const LATENCY_METRIC_NAMES = [
  "ProducerToSnsLatency",
  "SnsToSqsLatency",
  "ProducerToSqsLatency",
  "SqsDwellLatency",
  "SqsToConsumerLatency",
  "EndToEndLatency",
] as const;

/** Name of one latency leg. */
export type LatencyMetricName = (typeof LATENCY_METRIC_NAMES)[number];

/** A per-record latency leg: milliseconds, high resolution, with the formula that computes it. */
export interface LatencyMetricDefinition extends MetricDefinition {
  readonly name: LatencyMetricName;
  readonly unit: "Milliseconds";
  readonly resolution: typeof HIGH_RESOLUTION;
  /** The formula, as printed in the dashboard header. */
  readonly formula: string;
  /** Delivery paths on which the leg is measured. */
  readonly paths: readonly DeliveryPath[];
}

function latency(
  name: LatencyMetricName,
  formula: string,
  description: string,
  paths: readonly DeliveryPath[],
): LatencyMetricDefinition {
  return { name, unit: "Milliseconds", resolution: HIGH_RESOLUTION, formula, description, paths };
}

/**
 * Every latency leg, keyed by name. One data point per record; negative differences (clock skew)
 * are emitted as 0 and counted in {@link BATCH_METRICS} `NegativeLatencies`, because CloudWatch
 * computes no percentile for a period that holds a negative value.
 */
export const LATENCY_METRICS: { readonly [K in LatencyMetricName]: LatencyMetricDefinition } = {
  ProducerToSnsLatency: latency(
    "ProducerToSnsLatency",
    "SNS envelope Timestamp - recorded_at",
    "Producer clock to SNS accept; includes producer clock skew.",
    ["sns"],
  ),
  SnsToSqsLatency: latency(
    "SnsToSqsLatency",
    "SQS SentTimestamp - SNS envelope Timestamp",
    "SNS delivery to the queue, cross-region transit included.",
    ["sns"],
  ),
  ProducerToSqsLatency: latency(
    "ProducerToSqsLatency",
    "SQS SentTimestamp - recorded_at",
    // Also the leg of SNS raw delivery (no envelope); dashboards with raw delivery say so.
    "Producer clock to SQS accept, for messages sent straight to SQS (no SNS envelope).",
    ["direct", "raw"],
  ),
  SqsDwellLatency: latency(
    "SqsDwellLatency",
    "SQS ApproximateFirstReceiveTimestamp - SQS SentTimestamp",
    "Time the message waited in the queue before its first receive.",
    ["sns", "direct", "raw"],
  ),
  SqsToConsumerLatency: latency(
    "SqsToConsumerLatency",
    "handler start - SQS ApproximateFirstReceiveTimestamp",
    "Lambda poller to consumer code.",
    ["sns", "direct", "raw"],
  ),
  EndToEndLatency: latency(
    "EndToEndLatency",
    "handler start - recorded_at",
    "Producer clock to consumer code: the number users care about.",
    ["sns", "direct", "raw"],
  ),
};

/** The latency legs measured on a delivery path, in the order a message travels. */
export function legsOn(path: DeliveryPath): LatencyMetricName[] {
  return LATENCY_METRIC_NAMES.filter((name) => LATENCY_METRICS[name].paths.includes(path));
}

/** Per-batch metric names. */
export const BATCH_METRIC_NAMES = [
  "BatchSize",
  "Processed",
  "Failed",
  "NegativeLatencies",
] as const;

/** Name of one per-batch metric. */
export type BatchMetricName = (typeof BATCH_METRIC_NAMES)[number];

/** A per-batch count. */
export interface BatchMetricDefinition extends MetricDefinition {
  readonly name: BatchMetricName;
  readonly unit: "Count";
}

function count(name: BatchMetricName, description: string): BatchMetricDefinition {
  return { name, unit: "Count", resolution: STANDARD_RESOLUTION, description };
}

/** Per-batch counts, one data point per invocation each. */
export const BATCH_METRICS: { readonly [K in BatchMetricName]: BatchMetricDefinition } = {
  BatchSize: count("BatchSize", "Records in the batch."),
  Processed: count("Processed", "Records measured successfully."),
  Failed: count("Failed", "Records reported in batchItemFailures (retried, then sent to the DLQ)."),
  NegativeLatencies: count(
    "NegativeLatencies",
    "Latency values below zero (clock skew), emitted as 0 to keep percentiles available.",
  ),
};

/** Why a record was rejected; one `FailedRecords` data point per reason and batch. */
export const FAILURE_REASONS = [
  "InvalidJson",
  "InvalidEnvelope",
  "InvalidPayload",
  "MissingRecordedAt",
  "InvalidRecordedAt",
  "RecordedAtInFuture",
  "InvalidSqsAttributes",
  "Unexpected",
] as const;

/** One failure reason. */
export type FailureReason = (typeof FAILURE_REASONS)[number];

/** What each failure reason means, for dashboards and runbooks. */
export const FAILURE_REASON_DESCRIPTIONS: { readonly [K in FailureReason]: string } = {
  InvalidJson: "The SQS body, or the Message of its SNS envelope, is not JSON.",
  InvalidEnvelope:
    "The SNS envelope is not a Notification or lacks MessageId, Message or Timestamp.",
  InvalidPayload: "The payload is JSON but not an object.",
  MissingRecordedAt: "The payload has no recorded_at.",
  InvalidRecordedAt: "recorded_at is not a JSON number of epoch milliseconds.",
  RecordedAtInFuture: "recorded_at is later than handler start plus the allowed clock skew.",
  InvalidSqsAttributes:
    "SentTimestamp or ApproximateFirstReceiveTimestamp is missing or not a number.",
  Unexpected:
    "The consumer failed on the record for a reason it does not know (a bug), or the idempotency store failed or holds the message in progress elsewhere.",
};

/** Failed records by reason: carries the consumer dimensions plus {@link REASON_DIMENSION}. */
export const FAILED_RECORDS_METRIC: MetricDefinition = {
  name: "FailedRecords",
  unit: "Count",
  resolution: STANDARD_RESOLUTION,
  description: "Records reported in batchItemFailures, by reason.",
};

/**
 * Records skipped as already processed, one data point per invocation of a consumer that uses
 * the unit's idempotency store (setting `idempotencyStore`); carries the consumer dimensions.
 * Skipped records are neither `Processed` nor `Failed`: the three add up to `BatchSize`.
 */
export const DUPLICATES_SKIPPED_METRIC: MetricDefinition = {
  name: "DuplicatesSkipped",
  unit: "Count",
  resolution: STANDARD_RESOLUTION,
  description:
    "Records whose SNS MessageId the idempotency store marks as processed, in this region or another; deleted without measuring.",
};

/**
 * Records a FIFO consumer returned unprocessed because an earlier record of their message group
 * failed in the same batch (so the group keeps its order), one data point per invocation of a
 * consumer of a FIFO queue (setting `fifo`); carries the consumer dimensions. They are reported
 * in batchItemFailures but are not `Failed`: `Processed`, `Failed`, `HeldBack` (and
 * `DuplicatesSkipped`) add up to `BatchSize`.
 */
export const HELD_BACK_METRIC: MetricDefinition = {
  name: "HeldBack",
  unit: "Count",
  resolution: STANDARD_RESOLUTION,
  description:
    "Records of a FIFO message group returned unprocessed after an earlier record of the group failed in the batch; received again in order.",
};

/** Dimension holding the fan-out unit name; Powertools names it `service`. */
export const SERVICE_DIMENSION = "service";

/** Dimension holding the {@link QueueRole}. */
export const ROLE_DIMENSION = "Role";

/** Extra dimension of {@link FAILED_RECORDS_METRIC}, holding the {@link FailureReason}. */
export const REASON_DIMENSION = "Reason";

/** The exact dimensions of every consumer data point except `FailedRecords`. */
export type ConsumerDimensions = {
  readonly [SERVICE_DIMENSION]: string;
  readonly [ROLE_DIMENSION]: QueueRole;
};

/** The exact dimensions of a `FailedRecords` data point. */
export type FailureReasonDimensions = ConsumerDimensions & {
  readonly [REASON_DIMENSION]: FailureReason;
};

const DIMENSION_VALUE = /^[A-Za-z0-9_-]{1,255}$/;

/** Every {@link QueueRole}, as a value the consumer can check against; the type keeps it complete. */
const ROLES: { readonly [R in QueueRole]: true } = { active: true, replica: true };

/** The queue roles, for messages. */
export const QUEUE_ROLES = Object.keys(ROLES) as readonly QueueRole[];

/** Whether a value is a {@link QueueRole}. */
export function isQueueRole(value: unknown): value is QueueRole {
  return typeof value === "string" && Object.prototype.hasOwnProperty.call(ROLES, value);
}

/**
 * Dimensions every consumer data point carries, e.g. `{ service: "fanout-primary", Role:
 * "replica" }`. The consumer configures Powertools with them and the dashboard builds its metric
 * specs from them.
 *
 * @param unitName - fan-out unit name `<prefix>-<stack>`, the consumer's `POWERTOOLS_SERVICE_NAME`
 * @param role - role of the queue the consumer drains
 * @throws Error when the unit name is not 1-255 characters of `[A-Za-z0-9_-]` or the role is unknown
 */
export function consumerDimensions(unitName: string, role: QueueRole): ConsumerDimensions {
  if (!DIMENSION_VALUE.test(unitName)) {
    throw new Error(
      `Invalid fan-out unit name ${JSON.stringify(unitName)}: expected 1-255 characters of [A-Za-z0-9_-]`,
    );
  }
  if (!isQueueRole(role)) {
    throw new Error(
      `Invalid queue role ${JSON.stringify(role)}: expected one of ${QUEUE_ROLES.join(", ")}`,
    );
  }
  return { [SERVICE_DIMENSION]: unitName, [ROLE_DIMENSION]: role };
}

/**
 * Dimensions of a `FailedRecords` data point: {@link consumerDimensions} plus `Reason`.
 *
 * @throws Error on an unknown reason, or as {@link consumerDimensions} does
 */
export function failureReasonDimensions(
  unitName: string,
  role: QueueRole,
  reason: FailureReason,
): FailureReasonDimensions {
  if (!FAILURE_REASONS.includes(reason)) {
    throw new Error(
      `Invalid failure reason ${JSON.stringify(reason)}: expected one of ${FAILURE_REASONS.join(", ")}`,
    );
  }
  return { ...consumerDimensions(unitName, role), [REASON_DIMENSION]: reason };
}
