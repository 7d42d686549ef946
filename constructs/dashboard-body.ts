/**
 * The CloudWatch dashboard of a fan-out unit, as a pure function of the unit's resources.
 *
 * Every custom metric comes from the metric contract (`lambdas/shared/metrics.ts`), every AWS
 * metric from `AWS_METRICS` (aws-metrics.ts), and every dimension value from the resources the stack
 * created (Terraform references at synth), so the dashboard cannot drift from what is emitted.
 * One function per section of the dashboard, each adding its widgets to the grid in order.
 */
import type { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import {
  consumerDimensions,
  DUPLICATES_SKIPPED_METRIC,
  FAILED_RECORDS_METRIC,
  FAILURE_REASONS,
  failureReasonDimensions,
  HELD_BACK_METRIC,
  LATENCY_METRIC_NAMES,
  LATENCY_METRICS,
  LatencyMetricName,
  legsOn,
  METRIC_NAMESPACE,
} from "../lambdas/shared/metrics";
import { AWS_METRICS } from "./aws-metrics";
import type { ProducerApi } from "./producer-api";
import type { UnitQueue } from "./unit-queue";

/** What the dashboard shows: one unit, its queues (active first) and its API. */
export interface DashboardModel {
  /** Stack name, e.g. `primary`. */
  readonly stack: string;
  /** `<prefix>-<stack>`: the `service` dimension of the unit's metrics. */
  readonly unitName: string;
  /** Home region of the unit; widgets read metrics from every region of the unit. */
  readonly homeRegion: string;
  /** The unit's topic. */
  readonly topic: SnsTopic;
  /** The unit's queues, active first. */
  readonly queues: readonly UnitQueue[];
  /** The unit's producer API. */
  readonly api: ProducerApi;
}

/** A metric line: `[namespace, name, dim1, value1, ..., options]` or a math expression. */
export type MetricLine = (string | Record<string, unknown>)[];

export interface Widget {
  readonly type: "metric" | "text";
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly properties: Record<string, unknown>;
}

export interface DashboardBody {
  readonly widgets: Widget[];
}

/** Latency percentiles the dashboard shows. */
export const PERCENTILES = ["p50", "p99"] as const;

const WIDTH = 24;
const HEIGHT = 6;

/** The legs that add up to a message's end-to-end time, stacked in the order it travels. */
export const STACKED_LEGS: readonly LatencyMetricName[] = LATENCY_METRIC_NAMES.filter(
  (name) => name !== "EndToEndLatency",
);

function queueLabel(q: UnitQueue): string {
  return `${q.role} (${q.region})`;
}

function dims(d: Record<string, string>): string[] {
  return Object.entries(d).flat();
}

/** Lays widgets out left to right, wrapping at the dashboard's width. */
class Grid {
  readonly widgets: Widget[] = [];
  private x = 0;
  private y = 0;
  private rowHeight = 0;

  add(
    width: number,
    height: number,
    type: Widget["type"],
    properties: Record<string, unknown>,
  ): void {
    if (this.x + width > WIDTH) this.newRow();
    this.widgets.push({ type, x: this.x, y: this.y, width, height, properties });
    this.x += width;
    this.rowHeight = Math.max(this.rowHeight, height);
  }

  /** Starts a new row (each section of the dashboard begins on one). */
  newRow(): void {
    if (this.x === 0) return;
    this.y += this.rowHeight;
    this.x = 0;
    this.rowHeight = 0;
  }
}

function header(m: DashboardModel): string {
  const [active, ...replicas] = m.queues;
  const legs = LATENCY_METRIC_NAMES.map((name) => {
    const leg = LATENCY_METRICS[name];
    return `| ${name} | ${leg.formula} | ${leg.description} |`;
  });
  return [
    `# Fan-out unit \`${m.stack}\` (${m.unitName})`,
    `Topic in **${m.homeRegion}** fans out to the active queue in ${active.region} and ` +
      `replicas in ${replicas.map((q) => q.region).join(", ")}. Latencies are namespace ` +
      `\`${METRIC_NAMESPACE}\`, dimensions \`service=${m.unitName}\` and \`Role\`, in each queue's region; ` +
      `cross-region lag = replica EndToEnd - active EndToEnd.` +
      (m.queues.some((q) => q.rawMessageDelivery)
        ? " Raw message delivery: no SNS envelope, so ProducerToSqs (SNS included) replaces the SNS legs."
        : "") +
      (m.queues.some((q) => q.fifo)
        ? " FIFO topic and queues: ordered per message group; a failed record holds its group's later records back (HeldBack) until it passes or reaches the DLQ, so its group's latency grows."
        : ""),
    "",
    "| leg | formula | meaning |",
    "| --- | --- | --- |",
    ...legs,
  ].join("\n");
}

/** The stacked legs of a queue: without the SNS legs when SNS delivers raw bodies to it. */
export function stackedLegsOf(q: Pick<UnitQueue, "rawMessageDelivery">): LatencyMetricName[] {
  return q.rawMessageDelivery
    ? legsOn("raw").filter((name) => name !== "EndToEndLatency")
    : [...STACKED_LEGS];
}

function latencyWidget(m: DashboardModel, q: UnitQueue, stat: string) {
  const d = dims(consumerDimensions(m.unitName, q.role));
  return {
    title: `Latency legs ${stat}: ${queueLabel(q)}${q.rawMessageDelivery ? ", raw delivery" : ""}`,
    region: q.region,
    view: "timeSeries",
    stacked: true,
    stat,
    period: 60,
    yAxis: { left: { label: "ms", showUnits: false, min: 0 } },
    metrics: stackedLegsOf(q).map((name) => [METRIC_NAMESPACE, name, ...d, { label: name }]),
  };
}

function lagWidget(m: DashboardModel): Record<string, unknown> {
  const [active, ...replicas] = m.queues;
  const metrics: MetricLine[] = [];
  PERCENTILES.forEach((stat) => {
    const activeId = `active_${stat}`;
    metrics.push([
      METRIC_NAMESPACE,
      "EndToEndLatency",
      ...dims(consumerDimensions(m.unitName, "active")),
      { region: active.region, stat, id: activeId, visible: false },
    ]);
    replicas.forEach((q, i) => {
      const replicaId = `replica${i}_${stat}`;
      metrics.push(
        [
          METRIC_NAMESPACE,
          "EndToEndLatency",
          ...dims(consumerDimensions(m.unitName, "replica")),
          { region: q.region, stat, id: replicaId, visible: false },
        ],
        [
          {
            expression: `${replicaId} - ${activeId}`,
            id: `lag${i}_${stat}`,
            label: `${q.region} lag ${stat}`,
          },
        ],
      );
    });
  });
  return {
    title: "Cross-region lag: replica end-to-end minus active end-to-end",
    region: m.homeRegion,
    view: "timeSeries",
    stacked: false,
    period: 60,
    yAxis: { left: { label: "ms", showUnits: false } },
    metrics,
  };
}

function perQueue(
  m: DashboardModel,
  title: string,
  stat: string,
  line: (q: UnitQueue) => MetricLine,
): Record<string, unknown> {
  return {
    title,
    region: m.homeRegion,
    view: "timeSeries",
    stacked: false,
    stat,
    period: 60,
    metrics: m.queues.map(line),
  };
}

const sqs = (name: string, queueName: string, region: string, label: string): MetricLine => [
  AWS_METRICS.sqs.namespace,
  name,
  "QueueName",
  queueName,
  { region, label },
];

const lambda = (name: string, q: UnitQueue): MetricLine => [
  AWS_METRICS.lambda.namespace,
  name,
  "FunctionName",
  q.consumer.function.functionName,
  { region: q.region, label: queueLabel(q) },
];

/** Latency legs per queue, p50 beside p99, then the cross-region lag. */
function latencySection(grid: Grid, m: DashboardModel): void {
  for (const q of m.queues) {
    for (const stat of PERCENTILES) grid.add(12, HEIGHT, "metric", latencyWidget(m, q, stat));
  }
  grid.newRow();
  grid.add(WIDTH, HEIGHT, "metric", lagWidget(m));
}

/** What the topic published and delivered, the queues' traffic and depth, the dead letters. */
function throughputSection(grid: Grid, m: DashboardModel): void {
  const topic = (name: string): MetricLine => [
    AWS_METRICS.sns.namespace,
    name,
    "TopicName",
    m.topic.name,
    { region: m.homeRegion, label: name },
  ];
  grid.add(8, HEIGHT, "metric", {
    title: "SNS: published, delivered, failed",
    region: m.homeRegion,
    view: "timeSeries",
    stat: "Sum",
    period: 60,
    metrics: [
      topic("NumberOfMessagesPublished"),
      topic("NumberOfNotificationsDelivered"),
      topic("NumberOfNotificationsFailed"),
    ],
  });
  const queueWidget = (width: number, title: string, stat: string, metric: string) =>
    grid.add(
      width,
      HEIGHT,
      "metric",
      perQueue(m, title, stat, (q) => sqs(metric, q.queue.name, q.region, queueLabel(q))),
    );
  queueWidget(8, "SQS: messages received", "Sum", "NumberOfMessagesReceived");
  queueWidget(8, "SQS: visible messages", "Maximum", "ApproximateNumberOfMessagesVisible");
  queueWidget(12, "SQS: age of oldest message (s)", "Maximum", "ApproximateAgeOfOldestMessage");
  grid.add(12, HEIGHT, "metric", {
    title: "Dead-letter queues: visible messages (should be 0)",
    region: m.homeRegion,
    view: "timeSeries",
    stat: "Maximum",
    period: 60,
    metrics: m.queues.flatMap((q) => [
      sqs(
        "ApproximateNumberOfMessagesVisible",
        q.deadLetterQueue.name,
        q.region,
        `${queueLabel(q)} DLQ`,
      ),
      sqs(
        "ApproximateNumberOfMessagesVisible",
        q.deliveryDeadLetterQueue.name,
        m.homeRegion,
        `${queueLabel(q)} delivery DLQ`,
      ),
    ]),
  });
}

/**
 * The consumers' invocations, errors, throttles and duration, failed records by reason, and,
 * with the idempotency store, the duplicates it skipped; on FIFO queues, the records held back.
 */
function consumerSection(grid: Grid, m: DashboardModel): void {
  for (const [name, stat] of [
    ["Invocations", "Sum"],
    ["Errors", "Sum"],
    ["Throttles", "Sum"],
    ["Duration", "p99"],
  ] as const) {
    grid.add(
      6,
      HEIGHT,
      "metric",
      perQueue(m, `Consumers: ${name}${stat === "p99" ? " p99 (ms)" : ""}`, stat, (q) =>
        lambda(name, q),
      ),
    );
  }
  for (const q of m.queues) {
    grid.add(Math.max(6, Math.floor(WIDTH / m.queues.length)), HEIGHT, "metric", {
      title: `Failed records by reason: ${queueLabel(q)}`,
      region: q.region,
      view: "timeSeries",
      stacked: true,
      stat: "Sum",
      period: 60,
      metrics: FAILURE_REASONS.map((reason) => [
        METRIC_NAMESPACE,
        FAILED_RECORDS_METRIC.name,
        ...dims(failureReasonDimensions(m.unitName, q.role, reason)),
        { label: reason },
      ]),
    });
  }
  // On FIFO queues (all of a FIFO unit's), the records held back behind a failed one.
  if (m.queues.some((q) => q.fifo)) {
    const title = "Held back (FIFO): records behind a failed one of their message group";
    countWidget(grid, m, title, HELD_BACK_METRIC.name);
  }
  // With the idempotency store (every consumer of the unit uses it), the copies it skipped.
  if (m.queues.some((q) => q.deduplicated)) {
    const title = "Duplicates skipped: processed before in some region";
    countWidget(grid, m, title, DUPLICATES_SKIPPED_METRIC.name);
  }
}

/** A full-width widget of one of the consumers' own counts, a line per queue in its region. */
function countWidget(grid: Grid, m: DashboardModel, title: string, name: string): void {
  grid.add(
    WIDTH,
    HEIGHT,
    "metric",
    perQueue(m, title, "Sum", (q) => [
      METRIC_NAMESPACE,
      name,
      ...dims(consumerDimensions(m.unitName, q.role)),
      { region: q.region, label: queueLabel(q) },
    ]),
  );
}

/** The producer API's requests, errors and latency. */
function apiSection(grid: Grid, m: DashboardModel): void {
  const api = (name: string, stat: string, label = name): MetricLine => [
    AWS_METRICS.apiGateway.namespace,
    name,
    "ApiName",
    m.api.api.name,
    "Stage",
    m.api.stage.stageName,
    { stat, label },
  ];
  grid.add(12, HEIGHT, "metric", {
    title: "Producer API: requests and errors",
    region: m.homeRegion,
    view: "timeSeries",
    period: 60,
    metrics: [api("Count", "Sum"), api("4XXError", "Sum"), api("5XXError", "Sum")],
  });
  grid.add(12, HEIGHT, "metric", {
    title: "Producer API: latency (ms)",
    region: m.homeRegion,
    view: "timeSeries",
    period: 60,
    metrics: [api("Latency", "p50", "p50"), api("Latency", "p99", "p99")],
  });
}

/** Builds the dashboard body: header, latency per queue, lag, throughput, consumers, API. */
export function dashboardBody(m: DashboardModel): DashboardBody {
  const grid = new Grid();
  grid.add(WIDTH, 7, "text", { markdown: header(m) });
  for (const section of [latencySection, throughputSection, consumerSection, apiSection]) {
    grid.newRow();
    section(grid, m);
  }
  return { widgets: grid.widgets };
}
