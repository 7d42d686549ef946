/**
 * What each alarm of a fan-out unit watches, as data: the region it lives in (that of its
 * metric: CloudWatch alarms cannot read another region), its metric or metric-math expression,
 * and its threshold. `FanoutAlarms` turns each into a `CloudwatchMetricAlarm`.
 */
import type { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { consumerDimensions, LATENCY_METRICS, METRIC_NAMESPACE } from "../lambdas/shared/metrics";
import { AWS_METRICS } from "./aws-metrics";
import {
  ALARM_PERIOD_SECONDS,
  FAN_OUT_MISSING_SHARE,
  STANDBY_AGE_ALARM_RETENTION_SHARE,
} from "./defaults";
import type { FanoutAlarmsProps } from "./fanout-alarms";
import type { UnitQueue } from "./unit-queue";

/** One metric, as an alarm or a metric-math expression reads it. */
export interface AlarmMetric {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Record<string, string>;
  readonly statistic?: string;
  readonly extendedStatistic?: string;
}

/** A metric-math expression over metrics of one region; the alarm compares its result. */
export interface AlarmMath {
  readonly expression: string;
  readonly label: string;
  /** The expression's inputs by id (ids start with a lower-case letter). */
  readonly metrics: Readonly<Record<string, AlarmMetric & { readonly statistic: string }>>;
}

export interface AlarmSpec {
  readonly region: string;
  readonly suffix: string;
  readonly description: string;
  readonly watch: AlarmMetric | AlarmMath;
  readonly threshold: number;
  readonly evaluationPeriods?: number;
  readonly datapointsToAlarm?: number;
}

const sqs = (queue: SqsQueue) => ({ QueueName: queue.name });
const lambda = (functionName: string) => ({ FunctionName: functionName });

/** Whole alarm periods covering `minutes`. */
export const periodsOf = (minutes: number): number =>
  Math.ceil((minutes * 60) / ALARM_PERIOD_SECONDS);

/** A Lambda function's `Throttles` above 0, in the function's region. */
function throttles(region: string, suffix: string, functionName: string, what: string): AlarmSpec {
  return {
    region,
    suffix,
    description: `${what} ${functionName} was throttled: account or regional concurrency is exhausted. Check the account's concurrent executions and other functions of the region.`,
    watch: {
      namespace: AWS_METRICS.lambda.namespace,
      metricName: "Throttles",
      dimensions: lambda(functionName),
      statistic: "Sum",
    },
    threshold: 0,
  };
}

/**
 * The oldest-message alarm of a queue. A drained queue: the oldest message is older than the
 * threshold. A standby replica keeps every message until it expires, so its oldest message
 * reaches its retention in normal operation; it alarms only once its consumer runs (after a
 * failover) and the oldest message stays at 80% of retention for the grace period: the
 * replayed backlog is expiring before the consumer drains it.
 */
function oldestMessageAge(props: FanoutAlarmsProps, q: UnitQueue): AlarmSpec {
  const suffix = `${q.names.id}-oldest-message-age`;
  const age: AlarmMetric & { statistic: string } = {
    namespace: AWS_METRICS.sqs.namespace,
    metricName: "ApproximateAgeOfOldestMessage",
    dimensions: sqs(q.queue),
    statistic: "Maximum",
  };
  if (q.drained) {
    return {
      region: q.region,
      suffix,
      description: `The oldest message in ${q.queue.name} waits longer than ${props.oldestMessageAgeSeconds} s: its consumer is stuck, failing or too slow.`,
      watch: age,
      threshold: props.oldestMessageAgeSeconds,
    };
  }
  const threshold = Math.floor(q.retentionSeconds * STANDBY_AGE_ALARM_RETENTION_SHARE);
  const grace = periodsOf(props.standbyDrainGraceMinutes);
  return {
    region: q.region,
    suffix,
    description: `The standby replica ${q.queue.name} is being drained (its consumer runs) but its oldest message stayed at 80% of its retention for ${grace * (ALARM_PERIOD_SECONDS / 60)} minutes: the replayed backlog expires before it drains. Raise maxConcurrency or accept the loss.`,
    watch: {
      // Missing invocations (the mapping is disabled) count as 0: no alarm while on standby.
      expression: "IF(FILL(invocations, 0) > 0, age, 0)",
      label: "Age of the oldest message while the consumer runs",
      metrics: {
        age,
        invocations: {
          namespace: AWS_METRICS.lambda.namespace,
          metricName: "Invocations",
          dimensions: lambda(q.consumer.function.functionName),
          statistic: "Sum",
        },
      },
    },
    threshold,
    evaluationPeriods: grace,
    datapointsToAlarm: grace,
  };
}

/** The alarms of one queue: its DLQs, its oldest message, its consumer, a replica's lag. */
export function queueAlarms(props: FanoutAlarmsProps, q: UnitQueue): AlarmSpec[] {
  const id = q.names.id;
  const depth = (queue: SqsQueue): AlarmMetric => ({
    namespace: AWS_METRICS.sqs.namespace,
    metricName: "ApproximateNumberOfMessagesVisible",
    dimensions: sqs(queue),
    statistic: "Maximum",
  });
  const functionName = q.consumer.function.functionName;
  const specs: AlarmSpec[] = [
    {
      region: q.region,
      suffix: `${id}-dlq-depth`,
      description: `Messages the ${q.role} consumer in ${q.region} gave up on wait in ${q.deadLetterQueue.name}. Inspect, fix, then redrive.`,
      watch: depth(q.deadLetterQueue),
      threshold: 0,
    },
    {
      region: props.homeRegion,
      suffix: `${id}-delivery-dlq-depth`,
      description: `SNS failed to deliver messages to ${q.queue.name}; they wait in ${q.deliveryDeadLetterQueue.name}. Check the queue policy and the queue, then re-publish.`,
      watch: depth(q.deliveryDeadLetterQueue),
      threshold: 0,
    },
    oldestMessageAge(props, q),
    {
      region: q.region,
      suffix: `${id}-consumer-errors`,
      description: `The consumer ${functionName} failed invocations (not single bad records, which go to batchItemFailures). Read its log group.`,
      watch: {
        namespace: AWS_METRICS.lambda.namespace,
        metricName: "Errors",
        dimensions: lambda(functionName),
        statistic: "Sum",
      },
      threshold: 0,
    },
    throttles(q.region, `${id}-consumer-throttles`, functionName, "The consumer"),
  ];
  if (q.role === "replica") {
    specs.push({
      region: q.region,
      suffix: `${id}-end-to-end-p99`,
      description: `Replication lag: p99 end-to-end latency of the replica in ${q.region} above ${props.replicaEndToEndP99Ms} ms for 3 periods.`,
      watch: {
        namespace: METRIC_NAMESPACE,
        metricName: LATENCY_METRICS.EndToEndLatency.name,
        dimensions: { ...consumerDimensions(props.unitName, "replica") },
        extendedStatistic: "p99",
      },
      threshold: props.replicaEndToEndP99Ms,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
    });
  }
  return specs;
}

/** The alarms of the unit as a whole: its topic's deliveries and its API, in the home region. */
export function unitAlarms(props: FanoutAlarmsProps): AlarmSpec[] {
  const region = props.homeRegion;
  const topic = (metricName: string): AlarmMetric & { statistic: string } => ({
    namespace: AWS_METRICS.sns.namespace,
    metricName,
    dimensions: { TopicName: props.topic.name },
    statistic: "Sum",
  });
  const api = (metricName: string): AlarmMetric => ({
    namespace: AWS_METRICS.apiGateway.namespace,
    metricName,
    dimensions: { ApiName: props.api.api.name, Stage: props.api.stage.stageName },
    // 4XXError and 5XXError average to the share of requests that answered so.
    statistic: "Average",
  });
  const subscriptions = props.queues.length;
  return [
    {
      region,
      suffix: "topic-notifications-failed",
      description: `SNS failed deliveries from ${props.topic.name} (they are retried, then land in the subscription DLQs).`,
      watch: topic("NumberOfNotificationsFailed"),
      threshold: 0,
    },
    {
      region,
      suffix: "topic-redrive-to-dlq-failed",
      description: `SNS could not move failed deliveries of ${props.topic.name} to a subscription DLQ: those messages are lost. Check each delivery DLQ exists and its policy lets the topic send.`,
      watch: topic("NumberOfNotificationsFailedToRedriveToDlq"),
      threshold: 0,
    },
    {
      region,
      suffix: "topic-fan-out-incomplete",
      description: `The topic ${props.topic.name} published but delivered fewer than ${subscriptions} copies of each message (one per queue) for 3 periods: a queue stopped receiving while the topic publishes (a standby replica shows nothing else). Check the subscriptions and the delivery DLQs.`,
      watch: {
        expression: `IF(published > 0, 1 - delivered / (${subscriptions} * published), 0)`,
        label: "Share of expected deliveries missing",
        metrics: {
          published: topic("NumberOfMessagesPublished"),
          delivered: topic("NumberOfNotificationsDelivered"),
        },
      },
      threshold: FAN_OUT_MISSING_SHARE,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
    },
    {
      region,
      suffix: "api-5xx-rate",
      description: `More than ${props.api5xxPercent}% of producer API requests answered 5XX in 2 of 3 periods. Read the API function's log group; 502s carry SNS's error.`,
      watch: api("5XXError"),
      threshold: props.api5xxPercent / 100,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
    },
    {
      region,
      suffix: "api-4xx-rate",
      description: `More than ${props.api4xxPercent}% of producer API requests answered 4XX in 2 of 3 periods: refused signatures (403), throttling (429) or bad requests; an attack or a broken producer. Read the stage's access log.`,
      watch: api("4XXError"),
      threshold: props.api4xxPercent / 100,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
    },
    throttles(
      region,
      "api-function-throttles",
      props.api.function.function.functionName,
      "The producer API function",
    ),
  ];
}
