import { AWS_METRICS } from "../../constructs/aws-metrics";
import { Widget } from "../../constructs/dashboard-body";
import { createConsumer } from "../../lambdas/consumer/handler";
import {
  captureStdout,
  snsBody,
  sqsEvent,
  sqsRecord,
  STARTED_AT,
} from "../../lambdas/consumer/__tests__/factories";
import {
  BATCH_METRIC_NAMES,
  consumerDimensions,
  FAILED_RECORDS_METRIC,
  FAILURE_REASONS,
  LATENCY_METRIC_NAMES,
  METRIC_NAMESPACE,
} from "../../lambdas/shared/metrics";
import { QueueRole } from "../../config/names";
import {
  defaultConfig,
  ref,
  resources,
  resourceWhere,
  statementsOf,
  synthAll,
  TerraformJson,
} from "../support/synth";

const config = defaultConfig();
const stacks = synthAll(config);

/** A metric line of a widget, split into its parts. */
interface MetricUse {
  readonly widget: string;
  readonly region: string;
  readonly namespace: string;
  readonly name: string;
  readonly dimensions: Record<string, string>;
}

function widgetsOf(json: TerraformJson): Widget[] {
  const [, dashboard] = resources(json, "aws_cloudwatch_dashboard")[0];
  return JSON.parse(String(dashboard.dashboard_body)).widgets as Widget[];
}

function metricUses(widgets: Widget[]): MetricUse[] {
  return widgets.flatMap((w) => {
    const props = w.properties as { title?: string; region?: string; metrics?: unknown[][] };
    return (props.metrics ?? [])
      .filter((line) => typeof line[0] === "string")
      .map((line) => {
        const options = (
          typeof line[line.length - 1] === "object" ? line[line.length - 1] : {}
        ) as { region?: string };
        const parts = line.filter((p) => typeof p === "string") as string[];
        const [namespace, name, ...dims] = parts;
        const dimensions: Record<string, string> = {};
        for (let i = 0; i < dims.length; i += 2) dimensions[dims[i]] = dims[i + 1];
        return {
          widget: String(props.title),
          region: options.region ?? String(props.region),
          namespace,
          name,
          dimensions,
        };
      });
  });
}

/** Addresses `type.id` of every resource of the stack. */
function addresses(json: TerraformJson): Set<string> {
  return new Set(
    Object.entries(json.resource).flatMap(([type, byId]) =>
      Object.keys(byId).map((id) => `${type}.${id}`),
    ),
  );
}

const REFERENCE = /^\$\{([a-z0-9_]+\.[^.}]+)\.[a-z_]+\}$/;
const CONTRACT_NAMES = new Set<string>([
  ...LATENCY_METRIC_NAMES,
  ...BATCH_METRIC_NAMES,
  FAILED_RECORDS_METRIC.name,
]);

describe.each(config.units.map((u) => [u.stack, u] as const))("dashboard of %s", (name, unit) => {
  const { json } = stacks[name];
  const widgets = widgetsOf(json);
  const uses = metricUses(widgets);
  const roleOf = (region: string): QueueRole => (region === unit.homeRegion ? "active" : "replica");

  it("lives in the home region under its name", () => {
    const [, dashboard] = resources(json, "aws_cloudwatch_dashboard")[0];
    expect(dashboard).toMatchObject({
      provider: `aws.${unit.homeRegion}`,
      dashboard_name: `fanout-${name}-latency`,
    });
  });

  it("reads every widget and metric from one of the stack's regions", () => {
    for (const w of widgets.filter((x) => x.type === "metric")) {
      expect(config.regions).toContain((w.properties as { region: string }).region);
    }
    for (const use of uses) expect(config.regions).toContain(use.region);
  });

  it("uses unique metric-math ids, and every expression names existing ids", () => {
    for (const w of widgets) {
      const lines = ((w.properties as { metrics?: unknown[][] }).metrics ?? []).map((line) =>
        line.find((p) => typeof p === "object"),
      ) as ({ id?: string; expression?: string } | undefined)[];
      const ids = lines.flatMap((o) => (o?.id ? [o.id] : []));
      expect(new Set(ids).size).toBe(ids.length);
      for (const o of lines) {
        if (o?.expression === undefined) continue;
        const named = o.expression.match(/[A-Za-z_][A-Za-z0-9_]*/g) ?? [];
        expect(named.length).toBeGreaterThan(0);
        for (const id of named) expect(ids).toContain(id);
      }
    }
  });

  it("reads custom metrics only from the contract, with the contract's dimensions", () => {
    const custom = uses.filter((u) => u.namespace === METRIC_NAMESPACE);
    expect(custom.length).toBeGreaterThan(0);
    for (const use of custom) {
      expect(CONTRACT_NAMES).toContain(use.name);
      const { Reason, ...rest } = use.dimensions;
      if (use.name === FAILED_RECORDS_METRIC.name) expect(FAILURE_REASONS).toContain(Reason);
      else expect(Reason).toBeUndefined();
      expect(rest).toEqual(consumerDimensions(unit.names.unit, rest.Role as QueueRole));
      expect(rest.Role).toBe(roleOf(use.region));
    }
  });

  it("reads AWS metrics only of resources of this stack, by reference", () => {
    const own = addresses(json);
    const aws = uses.filter((u) => u.namespace !== METRIC_NAMESPACE);
    for (const use of aws) {
      const family = Object.values(AWS_METRICS).find((f) => f.namespace === use.namespace);
      expect(family).toBeDefined();
      expect(family!.names as readonly string[]).toContain(use.name);
      expect(Object.keys(use.dimensions)).toEqual(family!.dimensions);
      for (const value of Object.values(use.dimensions)) {
        const m = REFERENCE.exec(value);
        expect(m && own.has(m[1])).toBeTruthy();
      }
    }
  });

  it("shows every latency leg of every queue at p50 and p99, and the lag of every replica", () => {
    for (const q of unit.names.queues) {
      for (const stat of ["p50", "p99"]) {
        const widget = widgets.find(
          (w) =>
            (w.properties as { title: string }).title ===
            `Latency legs ${stat}: ${q.role} (${q.region})`,
        )!;
        expect((widget.properties as { stacked: boolean }).stacked).toBe(true);
        const names = metricUses([widget]).map((u) => u.name);
        expect(names).toEqual(LATENCY_METRIC_NAMES.filter((n) => n !== "EndToEndLatency"));
      }
    }
    const lag = widgets.find((w) =>
      String((w.properties as { title: string }).title).startsWith("Cross-region lag"),
    )!;
    const labels = ((lag.properties as { metrics: unknown[][] }).metrics ?? [])
      .map((line) => (line.find((p) => typeof p === "object") as { label?: string }).label)
      .filter((l) => l !== undefined);
    expect(labels.sort()).toEqual(
      unit.replicaRegions.flatMap((r) => [`${r} lag p50`, `${r} lag p99`]).sort(),
    );
  });

  it("shows what the consumer really emits, under the same names and dimensions", async () => {
    for (const role of ["active", "replica"] as const) {
      const consumer = createConsumer(
        {
          POWERTOOLS_SERVICE_NAME: unit.names.unit,
          POWERTOOLS_METRICS_NAMESPACE: METRIC_NAMESPACE,
          FANOUT_STACK: name,
          FANOUT_QUEUE_ROLE: role,
        },
        { clock: () => STARTED_AT },
      );
      const capture = captureStdout();
      try {
        await consumer.handler(
          sqsEvent([
            sqsRecord({ body: snsBody({ recorded_at: STARTED_AT - 200 }) }),
            sqsRecord({ body: JSON.stringify({ recorded_at: STARTED_AT - 100 }) }),
            sqsRecord({ body: "{not json" }),
          ]),
        );
      } finally {
        capture.restore();
      }
      const emitted = capture.emf().flatMap((blob) =>
        blob._aws.CloudWatchMetrics.flatMap((d) =>
          d.Metrics.map((metric) => ({
            name: metric.Name,
            dimensions: Object.fromEntries(d.Dimensions[0].map((k) => [k, String(blob[k])])),
          })),
        ),
      );
      const shown = uses.filter((u) => u.namespace === METRIC_NAMESPACE);
      for (const e of emitted.filter((x) => !BATCH_METRIC_NAMES.includes(x.name as never))) {
        expect(shown).toContainEqual(
          expect.objectContaining({ name: e.name, dimensions: e.dimensions }),
        );
      }
      expect(emitted.length).toBeGreaterThan(5);
    }
  });
});

describe.each(config.units.map((u) => [u.stack, u] as const))("alarms of %s", (name, unit) => {
  const { json } = stacks[name];
  const alarms = resources(json, "aws_cloudwatch_metric_alarm").map(([, a]) => a);
  const alarmTopicIn = (region: string) =>
    resourceWhere(json, "aws_sns_topic", "name", `fanout-${name}-alarms-${region}`)[0];
  const watching = (metricName: string, dimension: string, value: unknown) =>
    alarms.filter(
      (a) =>
        a.metric_name === metricName &&
        (a.dimensions as Record<string, unknown> | undefined)?.[dimension] === value,
    );

  it("alarms on every dead-letter queue (subscription DLQs too), in its region", () => {
    const dlqs = resources(json, "aws_sqs_queue").filter(([, q]) => String(q.name).endsWith("dlq"));
    expect(dlqs).toHaveLength(2 * unit.names.queues.length);
    for (const [id, queue] of dlqs) {
      const found = watching(
        "ApproximateNumberOfMessagesVisible",
        "QueueName",
        ref("aws_sqs_queue", id, "name"),
      );
      expect(found).toHaveLength(1);
      expect(found[0]).toMatchObject({
        provider: queue.provider,
        threshold: 0,
        comparison_operator: "GreaterThanThreshold",
        treat_missing_data: "notBreaching",
      });
    }
  });

  it("alarms on the age of the oldest message of every queue", () => {
    const queues = resources(json, "aws_sqs_queue").filter(
      ([, q]) => !String(q.name).endsWith("dlq"),
    );
    for (const [id, queue] of queues) {
      const found = watching(
        "ApproximateAgeOfOldestMessage",
        "QueueName",
        ref("aws_sqs_queue", id, "name"),
      );
      expect(found).toHaveLength(1);
      expect(found[0]).toMatchObject({ provider: queue.provider, threshold: 300 });
    }
  });

  it("alarms on every consumer's errors and every replica's end-to-end p99", () => {
    for (const [id, fn] of resources(json, "aws_lambda_function").filter(([, f]) =>
      String(f.function_name).endsWith("-consumer"),
    )) {
      expect(
        watching("Errors", "FunctionName", ref("aws_lambda_function", id, "function_name")),
      ).toEqual([expect.objectContaining({ provider: fn.provider })]);
    }
    for (const region of unit.replicaRegions) {
      const lag = alarms.filter(
        (a) =>
          a.metric_name === "EndToEndLatency" &&
          a.provider === `aws.${region}` &&
          a.namespace === METRIC_NAMESPACE,
      );
      expect(lag).toEqual([
        expect.objectContaining({
          alarm_name: `fanout-${name}/replica-${region}-end-to-end-p99`,
          extended_statistic: "p99",
          threshold: 5000,
          dimensions: consumerDimensions(unit.names.unit, "replica"),
        }),
      ]);
    }
  });

  it("alarms on failed SNS deliveries and on the API's 5XX rate", () => {
    const [topicId] = resourceWhere(json, "aws_sns_topic", "name", `fanout-${name}-topic`);
    expect(
      watching("NumberOfNotificationsFailed", "TopicName", ref("aws_sns_topic", topicId, "name")),
    ).toHaveLength(1);
    const [apiId] = resources(json, "aws_api_gateway_rest_api")[0];
    expect(watching("5XXError", "ApiName", ref("aws_api_gateway_rest_api", apiId, "name"))).toEqual(
      [expect.objectContaining({ statistic: "Average", threshold: 0.05 })],
    );
  });

  it("notifies the encrypted alarm topic of each alarm's own region", () => {
    for (const a of alarms) {
      const region = String(a.provider).replace("aws.", "");
      const topicArn = ref("aws_sns_topic", alarmTopicIn(region), "arn");
      expect(a.alarm_actions).toEqual([topicArn]);
      expect(a.ok_actions).toEqual([topicArn]);
      expect(a.treat_missing_data).toBe("notBreaching");
    }
  });

  it("encrypts each alarm topic with a key CloudWatch may use, and lets only this unit's alarms publish", () => {
    for (const region of config.regions) {
      const topicId = alarmTopicIn(region);
      const [, topic] = resourceWhere(
        json,
        "aws_sns_topic",
        "name",
        `fanout-${name}-alarms-${region}`,
      );
      const [keyId, key] = resources(json, "aws_kms_key").find(
        ([id]) => topic.kms_master_key_id === ref("aws_kms_key", id, "arn"),
      )!;
      expect(key).toMatchObject({ provider: `aws.${region}`, enable_key_rotation: true });
      expect(statementsOf(json, key.policy)).toContainEqual(
        expect.objectContaining({
          principals: [{ type: "Service", identifiers: ["cloudwatch.amazonaws.com"] }],
          actions: ["kms:Decrypt", "kms:GenerateDataKey"],
        }),
      );
      const [, policy] = resourceWhere(
        json,
        "aws_sns_topic_policy",
        "arn",
        ref("aws_sns_topic", topicId, "arn"),
      );
      const statements = statementsOf(json, policy.policy);
      expect(statements[0]).toMatchObject({
        effect: "Allow",
        actions: ["sns:Publish"],
        condition: expect.arrayContaining([
          expect.objectContaining({
            test: "ArnLike",
            variable: "aws:SourceArn",
            values: [
              expect.stringMatching(
                new RegExp(`:cloudwatch:${region}:.*:alarm:fanout-${name}/\\*$`),
              ),
            ],
          }),
        ]),
      });
      expect(statements[1]).toMatchObject({ sid: "DenyInsecureTransport", effect: "Deny" });
      expect(keyId).toBeDefined();
    }
  });

  it("subscribes no e-mail address unless one is configured", () => {
    const subs = resources(json, "aws_sns_topic_subscription").map(([, s]) => s.protocol);
    expect(subs.every((p) => p === "sqs")).toBe(true);
  });

  it("outputs the dashboard, its console URL, the alarm names and alarm topics", () => {
    expect(json.output.dashboard_url.value).toMatch(
      new RegExp(
        `^https://${unit.homeRegion}\\.console\\.aws\\.amazon\\.com/cloudwatch/home\\?region=${unit.homeRegion}#dashboards/dashboard/\\$\\{aws_cloudwatch_dashboard\\.`,
      ),
    );
    expect(json.output.alarm_names.value).toHaveLength(alarms.length);
    expect(Object.keys(json.output.alarm_topic_arns.value as object).sort()).toEqual(
      [...config.regions].sort(),
    );
  });
});

describe("alarm settings", () => {
  it("subscribes the configured address to every region's alarm topic", () => {
    const { json } = synthAll(defaultConfig({ FANOUT_ALARM_EMAIL: "ops@example.com" })).primary;
    const emails = resources(json, "aws_sns_topic_subscription")
      .map(([, s]) => s)
      .filter((s) => s.protocol === "email");
    expect(emails.map((s) => [s.provider, s.endpoint]).sort()).toEqual(
      config.regions.map((r) => [`aws.${r}`, "ops@example.com"]).sort(),
    );
  });

  it("warns before standby replicas expire instead of alarming on their waiting messages", () => {
    const { json } = synthAll(defaultConfig({ FANOUT_CONSUMER_MODE: "active-standby" })).primary;
    const age = (suffix: string) =>
      resources(json, "aws_cloudwatch_metric_alarm")
        .map(([, a]) => a)
        .find((a) => a.alarm_name === `fanout-primary/${suffix}-oldest-message-age`)!;
    expect(age("active").threshold).toBe(300);
    expect(age("replica-us-west-2").threshold).toBe(Math.floor(0.8 * 604800));
  });

  it("throws when the alarm e-mail is not an address", () => {
    expect(() => defaultConfig({ FANOUT_ALARM_EMAIL: "ops-at-example" })).toThrow(
      /^Invalid setting alarmEmail \(env FANOUT_ALARM_EMAIL\): "ops-at-example" is not valid; allowed: an e-mail address/,
    );
  });
});
