import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { Construct } from "constructs";
import { consumerDimensions, LATENCY_METRICS, METRIC_NAMESPACE } from "../lambdas/shared/metrics";
import { AlarmTopic } from "./alarm-topic";
import { AWS_METRICS } from "./dashboard-body";
import {
  ALARM_PERIOD_SECONDS,
  ALARM_TREAT_MISSING_DATA,
  STANDBY_AGE_ALARM_RETENTION_SHARE,
} from "./defaults";
import { ProducerApi } from "./producer-api";
import { RegionalProviders } from "./providers";
import { UnitQueue } from "./unit-queue";

/**
 * Between a unit's name and what an alarm watches: `fanout-primary/api-5xx-rate`. Stack names
 * and the prefix are `[a-z][a-z0-9-]*`, so a `-` could not end a unit's alarm-name prefix:
 * `fanout-primary-*` also matches the alarms of the stack `primary-eu`, `fanout-primary/*`
 * does not. A `/` is a character no unit name has.
 */
export const ALARM_NAME_SEPARATOR = "/";

/** Prefix of every alarm name of the unit `unitName`: the unit name and the separator. */
export const alarmNamePrefix = (unitName: string) => `${unitName}${ALARM_NAME_SEPARATOR}`;

export interface FanoutAlarmsProps {
  /** `<prefix>-<stack>`: start of every alarm name and the `service` of the unit's metrics. */
  readonly unitName: string;
  readonly homeRegion: string;
  /** The providers of the unit: each alarm lives in the region of its metric. */
  readonly providers: RegionalProviders;
  /** Alarm topic name of each region. */
  readonly topicNames: Readonly<Record<string, string>>;
  /** The unit's topic; its owner is the account id (no data source asks AWS at plan time). */
  readonly topic: SnsTopic;
  /** The unit's queues. */
  readonly queues: readonly UnitQueue[];
  /** The unit's producer API. */
  readonly api: ProducerApi;
  /** Alarm when a drained queue's oldest message is older than this, in seconds. */
  readonly oldestMessageAgeSeconds: number;
  /** Replication-lag alarm threshold: replica end-to-end p99, in ms. */
  readonly replicaEndToEndP99Ms: number;
  /** Alarm when more than this percentage of API requests answer 5XX. */
  readonly api5xxPercent: number;
  /**
   * Address subscribed to every alarm topic.
   * @default - no subscription
   */
  readonly email?: string;
}

interface AlarmSpec {
  readonly region: string;
  readonly suffix: string;
  readonly description: string;
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Record<string, string>;
  readonly statistic?: string;
  readonly extendedStatistic?: string;
  readonly threshold: number;
  readonly evaluationPeriods?: number;
  readonly datapointsToAlarm?: number;
}

/**
 * The alarms of a fan-out unit, each in the region of the metric it watches (CloudWatch
 * alarms are regional), notifying that region's encrypted alarm topic:
 *
 * - every dead-letter queue, subscription DLQs included: visible messages > 0;
 * - every queue: age of oldest message above the threshold (standby replicas: 80% of retention);
 * - every replica: end-to-end p99 above the threshold (replication lag);
 * - every consumer: errors;
 * - the topic: notifications failed;
 * - the producer API: 5XX rate.
 *
 * Missing data is not breaching: a quiet queue is not an outage.
 */
export class FanoutAlarms extends Construct {
  /** Every alarm, by name. */
  public readonly alarms: CloudwatchMetricAlarm[] = [];
  /** The alarm topic of each region. */
  public readonly topics: Readonly<Record<string, AlarmTopic>>;

  constructor(scope: Construct, id: string, props: FanoutAlarmsProps) {
    super(scope, id);
    const prefix = alarmNamePrefix(props.unitName);
    this.topics = Object.fromEntries(
      Object.entries(props.topicNames).map(([region, name]) => [
        region,
        new AlarmTopic(this, `topic-${region}`, {
          provider: props.providers.forRegion(region),
          name,
          alarmNamePrefix: prefix,
          accountId: props.topic.owner,
          email: props.email,
        }),
      ]),
    );

    for (const q of props.queues) this.addQueueAlarms(props, q);
    this.addUnitAlarms(props);
  }

  /** The alarms of one queue: its DLQs, its oldest message, its consumer, a replica's lag. */
  private addQueueAlarms(props: FanoutAlarmsProps, q: UnitQueue): void {
    const sqs = (queue: SqsQueue) => ({ QueueName: queue.name });
    const id = q.names.id;
    this.add(props, {
      region: q.region,
      suffix: `${id}-dlq-depth`,
      description: `Messages the ${q.role} consumer in ${q.region} gave up on wait in ${q.deadLetterQueue.name}. Inspect, fix, then redrive.`,
      namespace: AWS_METRICS.sqs.namespace,
      metricName: "ApproximateNumberOfMessagesVisible",
      dimensions: sqs(q.deadLetterQueue),
      statistic: "Maximum",
      threshold: 0,
    });
    this.add(props, {
      region: props.homeRegion,
      suffix: `${id}-delivery-dlq-depth`,
      description: `SNS failed to deliver messages to ${q.queue.name}; they wait in ${q.deliveryDeadLetterQueue.name}. Check the queue policy and the queue, then re-publish.`,
      namespace: AWS_METRICS.sqs.namespace,
      metricName: "ApproximateNumberOfMessagesVisible",
      dimensions: sqs(q.deliveryDeadLetterQueue),
      statistic: "Maximum",
      threshold: 0,
    });
    const ageThreshold = q.drained
      ? props.oldestMessageAgeSeconds
      : Math.floor(q.retentionSeconds * STANDBY_AGE_ALARM_RETENTION_SHARE);
    this.add(props, {
      region: q.region,
      suffix: `${id}-oldest-message-age`,
      description: q.drained
        ? `The oldest message in ${q.queue.name} waits longer than ${ageThreshold} s: its consumer is stuck, failing or too slow.`
        : `The standby replica ${q.queue.name} holds a message for 80% of its retention: fail over or drain it before messages expire.`,
      namespace: AWS_METRICS.sqs.namespace,
      metricName: "ApproximateAgeOfOldestMessage",
      dimensions: sqs(q.queue),
      statistic: "Maximum",
      threshold: ageThreshold,
    });
    const functionName = q.consumer.function.functionName;
    this.add(props, {
      region: q.region,
      suffix: `${id}-consumer-errors`,
      description: `The consumer ${functionName} failed invocations (not single bad records, which go to batchItemFailures). Read its log group.`,
      namespace: AWS_METRICS.lambda.namespace,
      metricName: "Errors",
      dimensions: { FunctionName: functionName },
      statistic: "Sum",
      threshold: 0,
    });
    if (q.role === "replica") {
      this.add(props, {
        region: q.region,
        suffix: `${id}-end-to-end-p99`,
        description: `Replication lag: p99 end-to-end latency of the replica in ${q.region} above ${props.replicaEndToEndP99Ms} ms for 3 periods.`,
        namespace: METRIC_NAMESPACE,
        metricName: LATENCY_METRICS.EndToEndLatency.name,
        dimensions: { ...consumerDimensions(props.unitName, "replica") },
        extendedStatistic: "p99",
        threshold: props.replicaEndToEndP99Ms,
        evaluationPeriods: 3,
        datapointsToAlarm: 3,
      });
    }
  }

  /** The alarms of the unit as a whole: the topic's failed deliveries, the API's 5XX rate. */
  private addUnitAlarms(props: FanoutAlarmsProps): void {
    this.add(props, {
      region: props.homeRegion,
      suffix: "topic-notifications-failed",
      description: `SNS failed deliveries from ${props.topic.name} (they are retried, then land in the subscription DLQs).`,
      namespace: AWS_METRICS.sns.namespace,
      metricName: "NumberOfNotificationsFailed",
      dimensions: { TopicName: props.topic.name },
      statistic: "Sum",
      threshold: 0,
    });
    this.add(props, {
      region: props.homeRegion,
      suffix: "api-5xx-rate",
      description: `More than ${props.api5xxPercent}% of producer API requests answered 5XX in 2 of 3 periods. Read the API function's log group; 502s carry SNS's error.`,
      namespace: AWS_METRICS.apiGateway.namespace,
      metricName: "5XXError",
      dimensions: { ApiName: props.api.api.name, Stage: props.api.stage.stageName },
      // 5XXError averages to the share of requests that failed.
      statistic: "Average",
      threshold: props.api5xxPercent / 100,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
    });
  }

  private add(props: FanoutAlarmsProps, spec: AlarmSpec): void {
    const topic = this.topics[spec.region];
    if (topic === undefined) throw new Error(`No alarm topic for region ${spec.region}`);
    this.alarms.push(
      new CloudwatchMetricAlarm(this, spec.suffix, {
        provider: props.providers.forRegion(spec.region),
        alarmName: `${alarmNamePrefix(props.unitName)}${spec.suffix}`,
        alarmDescription: spec.description,
        namespace: spec.namespace,
        metricName: spec.metricName,
        dimensions: spec.dimensions,
        statistic: spec.statistic,
        extendedStatistic: spec.extendedStatistic,
        period: ALARM_PERIOD_SECONDS,
        evaluationPeriods: spec.evaluationPeriods ?? 1,
        datapointsToAlarm: spec.datapointsToAlarm ?? 1,
        threshold: spec.threshold,
        comparisonOperator: "GreaterThanThreshold",
        treatMissingData: ALARM_TREAT_MISSING_DATA,
        alarmActions: [topic.topic.arn],
        okActions: [topic.topic.arn],
      }),
    );
  }
}
