/**
 * Stacks with subscription filter policies and SNS raw message delivery turned on: what each
 * subscription, consumer and dashboard gets. With both off (the default) nothing of it appears,
 * which the snapshots of fanout-stack.test.ts hold.
 */
import { STACKED_LEGS, type Widget } from "../../constructs/dashboard-body";
import { legsOn } from "../../lambdas/shared/metrics";
import {
  defaultConfig,
  normalized,
  ref,
  resources,
  resourceWhere,
  synthAll,
} from "../support/synth";
import type { TerraformJson } from "../support/synth";

const FILTERS = {
  active: { policy: { kind: ["order"] } },
  replicas: { policy: { producer: [{ prefix: "load-" }] }, scope: "MessageBody" },
  "us-east-1": { policy: { kind: [{ "anything-but": ["test"] }] } },
};
const both = defaultConfig({
  FANOUT_SUBSCRIPTION_FILTER_POLICIES: JSON.stringify(FILTERS),
  FANOUT_RAW_MESSAGE_DELIVERY: "true",
});
const filtersOnly = defaultConfig({
  FANOUT_SUBSCRIPTION_FILTER_POLICIES: JSON.stringify(FILTERS),
});
const withBoth = synthAll(both);
const withFilters = synthAll(filtersOnly);
const plain = synthAll(defaultConfig());

/** The subscription feeding the queue named `queueName`. */
function subscriptionTo(json: TerraformJson, queueName: string): Record<string, unknown> {
  const [queueId] = resourceWhere(json, "aws_sqs_queue", "name", queueName);
  const queueArn = ref("aws_sqs_queue", queueId, "arn");
  return resourceWhere(json, "aws_sns_topic_subscription", "endpoint", queueArn)[1];
}

function consumerVariables(json: TerraformJson): Record<string, string>[] {
  return resources(json, "aws_lambda_function")
    .filter(([, fn]) => String(fn.function_name).endsWith("-consumer"))
    .map(([, fn]) => (fn.environment as { variables: Record<string, string> }).variables);
}

function latencyWidgets(json: TerraformJson): Widget[] {
  const [, dashboard] = resources(json, "aws_cloudwatch_dashboard")[0];
  return (JSON.parse(String(dashboard.dashboard_body)).widgets as Widget[]).filter((w) =>
    String(w.properties.title).startsWith("Latency legs"),
  );
}

const metricNames = (w: Widget) =>
  (w.properties.metrics as unknown[][]).map((line) => line[1] as string);

describe("a stack with filter policies and raw delivery", () => {
  it("matches the snapshot", () => {
    expect(normalized(withBoth.primary.json)).toMatchSnapshot();
  });

  it.each([
    // [stack, queue, expected policy, scope]: a region's entry wins over the role's.
    ["primary", "fanout-primary-active", FILTERS["us-east-1"].policy, "MessageAttributes"],
    ["primary", "fanout-primary-replica-us-west-2", FILTERS.replicas.policy, "MessageBody"],
    ["secondary", "fanout-secondary-active", FILTERS.active.policy, "MessageAttributes"],
    [
      "secondary",
      "fanout-secondary-replica-us-east-1",
      FILTERS["us-east-1"].policy,
      "MessageAttributes",
    ],
  ] as const)(
    "gives %s's subscription to %s its filter, with raw delivery",
    (stack, queue, policy, scope) => {
      const subscription = subscriptionTo(withBoth[stack].json, queue);
      expect(JSON.parse(String(subscription.filter_policy))).toEqual(policy);
      expect(subscription.filter_policy_scope).toBe(scope);
      expect(subscription.raw_message_delivery).toBe(true);
      const filteredOnly = subscriptionTo(withFilters[stack].json, queue);
      expect(filteredOnly.filter_policy).toBe(subscription.filter_policy);
      expect(filteredOnly.raw_message_delivery).toBe(false);
    },
  );

  it("tells every consumer its queue gets raw bodies, and only with raw delivery on", () => {
    for (const stack of ["primary", "secondary"]) {
      for (const vars of consumerVariables(withBoth[stack].json)) {
        expect(vars.FANOUT_RAW_MESSAGE_DELIVERY).toBe("true");
      }
      for (const vars of consumerVariables(withFilters[stack].json)) {
        expect(vars).not.toHaveProperty("FANOUT_RAW_MESSAGE_DELIVERY");
      }
    }
  });

  it("stacks ProducerToSqs instead of the SNS legs on the dashboard with raw delivery", () => {
    const rawLegs = legsOn("raw").filter((name) => name !== "EndToEndLatency");
    const widgets = latencyWidgets(withBoth.primary.json);
    expect(widgets).toHaveLength(4);
    for (const w of widgets) {
      expect(String(w.properties.title)).toMatch(/, raw delivery$/);
      expect(metricNames(w)).toEqual(rawLegs);
    }
    for (const w of latencyWidgets(withFilters.primary.json)) {
      expect(metricNames(w)).toEqual(STACKED_LEGS);
    }
  });
});

describe("a stack with both settings off", () => {
  it("subscribes every queue without a filter and without raw delivery", () => {
    for (const { json } of Object.values(plain)) {
      for (const [, subscription] of resources(json, "aws_sns_topic_subscription")) {
        if (subscription.protocol !== "sqs") continue;
        expect(subscription).not.toHaveProperty("filter_policy");
        expect(subscription).not.toHaveProperty("filter_policy_scope");
        expect(subscription.raw_message_delivery).toBe(false);
      }
    }
  });
});
