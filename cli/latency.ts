/**
 * Latency report of one stack from the consumers' CloudWatch metrics: for each queue (active and
 * every replica, each read in the queue's own region) the p50/p90/p99 of each leg over a window,
 * and the cross-region lag (replica end-to-end minus active end-to-end).
 */
import {
  GetMetricDataCommand,
  type CloudWatchClient,
  type MetricDataQuery,
} from "@aws-sdk/client-cloudwatch";
import { describeError, isFatalError, UsageError } from "./errors";
import { TOPIC_NAME_SUFFIX, withoutFifoSuffix, type QueueRole } from "../config/names";
import {
  END_TO_END_METRIC,
  LATENCY_METRIC_NAMES,
  METRIC_NAMESPACE,
  ROLE_DIMENSION,
  SERVICE_DIMENSION,
  type LatencyMetricName,
} from "./metric-contract";
import type { StackOutputs } from "./outputs";
import { formatDuration } from "./parse";
import { formatMs, type Percentiles } from "./stats";
import { formatTable } from "./format";

export const STATS = ["p50", "p90", "p99"] as const;

/** Percentiles of every leg of one queue. */
export type QueueLatency = Readonly<Record<LatencyMetricName, Percentiles>>;

/** Output holding the `service` dimension of the unit's consumer metrics. */
export const METRIC_SERVICE_OUTPUT = "metric_service_name";

/**
 * The service dimension of a stack: `--service`, else the stack's `metric_service_name`
 * output, else (an outputs file written before that output existed) `topic_name` without
 * `-topic`.
 */
export function serviceOf(stack: StackOutputs, override?: string): string {
  if (override) return override;
  if (stack.has(METRIC_SERVICE_OUTPUT)) return stack.string(METRIC_SERVICE_OUTPUT);
  const topicName = withoutFifoSuffix(stack.string("topic_name"));
  if (!topicName.endsWith(TOPIC_NAME_SUFFIX) || topicName === TOPIC_NAME_SUFFIX) {
    throw new UsageError(
      `cannot derive the metric service of stack "${stack.name}" from topic_name "${topicName}" (expected <service>${TOPIC_NAME_SUFFIX}); pass --service`,
    );
  }
  return topicName.slice(0, -TOPIC_NAME_SUFFIX.length);
}

export interface MetricWindow {
  readonly start: Date;
  readonly end: Date;
  /** One period covering the whole window: a multiple of 60 s. */
  readonly periodSeconds: number;
}

/**
 * A window of at least `sinceMs` ending at the next whole minute, as one period (CloudWatch
 * wants periods of whole minutes here), so every statistic comes back as a single value.
 */
export function metricWindow(nowMs: number, sinceMs: number): MetricWindow {
  const periodSeconds = Math.max(60, Math.ceil(sinceMs / 60_000) * 60);
  const end = Math.ceil(nowMs / 60_000) * 60_000;
  return { start: new Date(end - periodSeconds * 1000), end: new Date(end), periodSeconds };
}

function queryId(leg: number, stat: string): string {
  return `l${leg}_${stat}`;
}

/** One query per leg and percentile, for the given service and role. */
export function latencyQueries(
  service: string,
  role: QueueRole,
  periodSeconds: number,
): MetricDataQuery[] {
  return LATENCY_METRIC_NAMES.flatMap((metric, leg) =>
    STATS.map((stat) => ({
      Id: queryId(leg, stat),
      ReturnData: true,
      MetricStat: {
        Metric: {
          Namespace: METRIC_NAMESPACE,
          MetricName: metric,
          Dimensions: [
            { Name: SERVICE_DIMENSION, Value: service },
            { Name: ROLE_DIMENSION, Value: role },
          ],
        },
        Period: periodSeconds,
        Stat: stat,
      },
    })),
  );
}

/** Reads the legs of one queue; a statistic without data stays undefined. */
export async function fetchQueueLatency(
  client: CloudWatchClient,
  service: string,
  role: QueueRole,
  window: MetricWindow,
): Promise<QueueLatency> {
  const values = new Map<string, number>();
  let nextToken: string | undefined;
  do {
    const answer = await client.send(
      new GetMetricDataCommand({
        MetricDataQueries: latencyQueries(service, role, window.periodSeconds),
        StartTime: window.start,
        EndTime: window.end,
        ScanBy: "TimestampDescending",
        NextToken: nextToken,
      }),
    );
    for (const result of answer.MetricDataResults ?? []) {
      // Newest first; with one period covering the window there is at most one value.
      const value = result.Values?.[0];
      if (
        result.Id &&
        typeof value === "number" &&
        Number.isFinite(value) &&
        !values.has(result.Id)
      ) {
        values.set(result.Id, value);
      }
    }
    nextToken = answer.NextToken;
  } while (nextToken);
  const latency = {} as Record<LatencyMetricName, Percentiles>;
  LATENCY_METRIC_NAMES.forEach((metric, leg) => {
    latency[metric] = {
      p50: values.get(queryId(leg, "p50")),
      p90: values.get(queryId(leg, "p90")),
      p99: values.get(queryId(leg, "p99")),
    };
  });
  return latency;
}

/**
 * Replica minus active end-to-end, percentile by percentile. (A difference of percentiles, not a
 * percentile of per-message differences: the two copies are measured apart.)
 */
export function crossRegionLag(active: QueueLatency, replica: QueueLatency): Percentiles {
  const diff = (a?: number, r?: number): number | undefined =>
    a === undefined || r === undefined ? undefined : r - a;
  const a = active[END_TO_END_METRIC];
  const r = replica[END_TO_END_METRIC];
  return { p50: diff(a.p50, r.p50), p90: diff(a.p90, r.p90), p99: diff(a.p99, r.p99) };
}

export interface QueueReport {
  readonly role: QueueRole;
  readonly region: string;
  /** Undefined when the metrics could not be read; then `error` says why. */
  readonly latency?: QueueLatency;
  readonly error?: string;
}

export interface LatencyReport {
  readonly stack: string;
  readonly service: string;
  readonly sinceMs: number;
  readonly queues: readonly QueueReport[];
}

/** Reads every queue of a stack, each in its region, in parallel. */
export async function readLatency(options: {
  readonly stack: StackOutputs;
  readonly service: string;
  readonly sinceMs: number;
  readonly cloudWatch: (region: string) => CloudWatchClient;
  readonly nowMs?: number;
}): Promise<LatencyReport> {
  const { stack, service } = options;
  const window = metricWindow(options.nowMs ?? Date.now(), options.sinceMs);
  const queues: { role: QueueRole; region: string }[] = [
    { role: "active", region: stack.region() },
    ...Object.keys(stack.stringMap("replica_queue_urls")).map((region) => ({
      role: "replica" as const,
      region,
    })),
  ];
  const reports = await Promise.all(
    queues.map(async ({ role, region }): Promise<QueueReport> => {
      try {
        const latency = await fetchQueueLatency(options.cloudWatch(region), service, role, window);
        return { role, region, latency };
      } catch (err) {
        if (isFatalError(err)) throw err;
        return { role, region, error: describeError(err) };
      }
    }),
  );
  return { stack: stack.name, service, sinceMs: options.sinceMs, queues: reports };
}

function queueName(queue: { role: QueueRole; region: string }): string {
  return `${queue.role} ${queue.region}`;
}

/** Whether any leg of a queue has any percentile in the window. */
function hasData(latency: QueueLatency | undefined): latency is QueueLatency {
  return (
    latency !== undefined &&
    LATENCY_METRIC_NAMES.some((metric) =>
      Object.values(latency[metric]).some((v) => v !== undefined),
    )
  );
}

function legRows(queues: readonly QueueReport[]): string[][] {
  return queues.flatMap((queue) =>
    LATENCY_METRIC_NAMES.map((metric) => {
      const p = queue.latency?.[metric] ?? {};
      return [queueName(queue), metric, formatMs(p.p50), formatMs(p.p90), formatMs(p.p99)];
    }),
  );
}

function lagRows(active: QueueReport | undefined, replicas: readonly QueueReport[]): string[][] {
  const activeLatency = active?.latency;
  if (!hasData(activeLatency)) return [];
  return replicas.flatMap((replica) => {
    if (!hasData(replica.latency)) return [];
    const lag = crossRegionLag(activeLatency, replica.latency);
    return [[queueName(replica), formatMs(lag.p50), formatMs(lag.p90), formatMs(lag.p99)]];
  });
}

/**
 * The report as text: the legs of every queue with data, the cross-region lag of every replica
 * with data, then one line per queue that has no data in the window or could not be read.
 */
export function formatLatencyReport(report: LatencyReport): string {
  const window = formatDuration(report.sinceMs);
  const withData = report.queues.filter((q) => hasData(q.latency));
  const lines = [
    `latency of stack ${report.stack} (service ${report.service}), last ${window}, in ms`,
  ];
  if (withData.length > 0) {
    lines.push(formatTable(["queue", "leg", "p50", "p90", "p99"], legRows(withData), [2, 3, 4]));
  }
  const lag = lagRows(
    report.queues.find((q) => q.role === "active"),
    report.queues.filter((q) => q.role === "replica"),
  );
  if (lag.length > 0) {
    lines.push(
      "",
      `cross-region lag: replica ${END_TO_END_METRIC} minus active ${END_TO_END_METRIC}, in ms`,
      formatTable(["queue", "p50", "p90", "p99"], lag, [1, 2, 3]),
    );
  }
  for (const queue of report.queues) {
    if (queue.error) lines.push(`${queueName(queue)}: metrics not read: ${queue.error}`);
    else if (!hasData(queue.latency))
      lines.push(`${queueName(queue)}: no data for the last ${window}`);
  }
  return lines.join("\n");
}
