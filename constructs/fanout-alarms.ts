import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { Construct } from "constructs";
import { AlarmTopic } from "./alarm-topic";
import { AlarmMath, AlarmSpec, queueAlarms, unitAlarms } from "./alarm-specs";
import { ALARM_PERIOD_SECONDS, ALARM_TREAT_MISSING_DATA } from "./defaults";
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
  /**
   * Standby replicas: how long, once their consumer runs, the oldest message may stay at 80% of
   * retention before the alarm fires, in minutes (whole 5-minute periods).
   */
  readonly standbyDrainGraceMinutes: number;
  /** Replication-lag alarm threshold: replica end-to-end p99, in ms. */
  readonly replicaEndToEndP99Ms: number;
  /** Alarm when more than this percentage of API requests answer 5XX. */
  readonly api5xxPercent: number;
  /** Alarm when more than this percentage of API requests answer 4XX. */
  readonly api4xxPercent: number;
  /**
   * Address subscribed to every alarm topic.
   * @default - no subscription
   */
  readonly email?: string;
}

const isMath = (watch: AlarmSpec["watch"]): watch is AlarmMath => "expression" in watch;

/**
 * The alarms of a fan-out unit, each in the region of the metric it watches (CloudWatch
 * alarms are regional), notifying that region's encrypted alarm topic (`alarm-specs.ts` says
 * what each watches):
 *
 * - every dead-letter queue, subscription DLQs included: visible messages > 0;
 * - every drained queue: age of oldest message above the threshold; a standby replica: its
 *   oldest message near expiry while its consumer runs (after a failover);
 * - every replica: end-to-end p99 above the threshold (replication lag);
 * - every consumer and the API function: errors (consumers) and throttles;
 * - the topic: notifications failed, failed moves to a subscription DLQ, and fewer deliveries
 *   than publishes times queues;
 * - the producer API: 5XX and 4XX rates.
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

    for (const q of props.queues) {
      for (const spec of queueAlarms(props, q)) this.add(props, spec);
    }
    for (const spec of unitAlarms(props)) this.add(props, spec);
  }

  private add(props: FanoutAlarmsProps, spec: AlarmSpec): void {
    const topic = this.topics[spec.region];
    if (topic === undefined) throw new Error(`No alarm topic for region ${spec.region}`);
    const { watch } = spec;
    const reads = isMath(watch)
      ? {
          metricQuery: [
            { id: "result", expression: watch.expression, label: watch.label, returnData: true },
            ...Object.entries(watch.metrics).map(([metricId, m]) => ({
              id: metricId,
              returnData: false,
              metric: {
                namespace: m.namespace,
                metricName: m.metricName,
                dimensions: m.dimensions,
                stat: m.statistic,
                period: ALARM_PERIOD_SECONDS,
              },
            })),
          ],
        }
      : {
          namespace: watch.namespace,
          metricName: watch.metricName,
          dimensions: watch.dimensions,
          statistic: watch.statistic,
          extendedStatistic: watch.extendedStatistic,
          period: ALARM_PERIOD_SECONDS,
        };
    this.alarms.push(
      new CloudwatchMetricAlarm(this, spec.suffix, {
        provider: props.providers.forRegion(spec.region),
        alarmName: `${alarmNamePrefix(props.unitName)}${spec.suffix}`,
        alarmDescription: spec.description,
        ...reads,
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
