/**
 * FIFO units (setting `fifo`, with `contentBasedDeduplication` and `fifoThroughput`): the topic,
 * every queue and every dead-letter queue FIFO with `.fifo` names, mappings without a batching
 * window, consumers and the API told, the dashboard's held-back widget; and nothing of it on a
 * standard unit (the snapshots of fanout-stack.test.ts hold that).
 */
import { runChecks } from "../../checks/run";
import type { Widget } from "../../constructs/dashboard-body";
import { CONSUMER_ENV } from "../../lambdas/consumer/env";
import { ENV_CONTENT_BASED_DEDUPLICATION } from "../../lambdas/producer-api/env";
import { HELD_BACK_METRIC } from "../../lambdas/shared/metrics";
import { defaultConfig, normalized, ref, resources, stackJsons, synthAll } from "../support/synth";
import { resourceWhere, type TerraformJson } from "../support/synth";

const FIFO = { FANOUT_FIFO: "true" };
const fifo = synthAll(defaultConfig(FIFO));
const high = synthAll(
  defaultConfig({
    ...FIFO,
    FANOUT_FIFO_THROUGHPUT: "high",
    FANOUT_CONTENT_BASED_DEDUPLICATION: "true",
  }),
);
const plain = synthAll(defaultConfig());

const FIFO_ARGUMENTS = [
  "fifo_topic",
  "fifo_queue",
  "content_based_deduplication",
  "fifo_throughput_scope",
  "deduplication_scope",
  "fifo_throughput_limit",
];

const fanOutTopics = (json: TerraformJson) =>
  resources(json, "aws_sns_topic").filter(([, t]) => !String(t.name).includes("-alarms-"));

function consumerVariables(json: TerraformJson): Record<string, string>[] {
  return resources(json, "aws_lambda_function")
    .filter(([, fn]) => String(fn.function_name).endsWith("-consumer"))
    .map(([, fn]) => (fn.environment as { variables: Record<string, string> }).variables);
}

function apiVariables(json: TerraformJson): Record<string, string> {
  const [, fn] = resourceWhere(json, "aws_lambda_function", "function_name", "fanout-primary-api");
  return (fn.environment as { variables: Record<string, string> }).variables;
}

function widgets(json: TerraformJson): Widget[] {
  const [, dashboard] = resources(json, "aws_cloudwatch_dashboard")[0];
  return JSON.parse(String(dashboard.dashboard_body)).widgets as Widget[];
}

it("matches the snapshot of the primary stack with fifo on", () => {
  expect(normalized(fifo.primary.json)).toMatchSnapshot();
});

it("passes every policy rule: FIFO changes no permission, encryption or TLS rule", () => {
  expect(runChecks(stackJsons(defaultConfig(FIFO)))).toEqual([]);
  expect(runChecks(stackJsons(defaultConfig({ ...FIFO, FANOUT_FIFO_THROUGHPUT: "high" })))).toEqual(
    [],
  );
});

describe.each(["primary", "secondary"])("stack %s with fifo", (name) => {
  const { json } = fifo[name];

  it("has a FIFO topic named <unit>-topic.fifo, standard throughput, no content deduplication", () => {
    const topics = fanOutTopics(json);
    expect(topics).toHaveLength(1);
    expect(topics[0][1]).toMatchObject({
      name: `fanout-${name}-topic.fifo`,
      fifo_topic: true,
      content_based_deduplication: false,
      fifo_throughput_scope: "Topic",
    });
  });

  it("makes every queue FIFO, dead-letter and delivery dead-letter queues included, named .fifo", () => {
    const queues = resources(json, "aws_sqs_queue");
    // Active and replica, each with its DLQ and its subscription's DLQ.
    expect(queues).toHaveLength(6);
    for (const [, queue] of queues) {
      expect(String(queue.name)).toMatch(/^fanout-[a-z]+-[a-z0-9-]+\.fifo$/);
      expect(queue).toMatchObject({
        fifo_queue: true,
        content_based_deduplication: false,
        deduplication_scope: "queue",
        fifo_throughput_limit: "perQueue",
      });
    }
    expect(queues.map(([, q]) => q.name)).toEqual(
      expect.arrayContaining([
        `fanout-${name}-active.fifo`,
        `fanout-${name}-active-dlq.fifo`,
        `fanout-${name}-active-delivery-dlq.fifo`,
      ]),
    );
  });

  it("points each queue's redrive policy and each subscription's at a FIFO queue", () => {
    const fifoIds = new Set(
      resources(json, "aws_sqs_queue")
        .filter(([, q]) => q.fifo_queue === true)
        .map(([id]) => ref("aws_sqs_queue", id, "arn")),
    );
    const targets = [
      ...resources(json, "aws_sqs_queue").filter(([, q]) => q.redrive_policy !== undefined),
      ...resources(json, "aws_sns_topic_subscription"),
    ].map(([, r]) => JSON.parse(String(r.redrive_policy)).deadLetterTargetArn as string);
    expect(targets).toHaveLength(4);
    for (const target of targets) expect(fifoIds).toContain(target);
  });

  it("gives every event source mapping no batching window and at most 10 records", () => {
    const mappings = resources(json, "aws_lambda_event_source_mapping");
    expect(mappings).toHaveLength(2);
    for (const [, mapping] of mappings) {
      expect(mapping).not.toHaveProperty("maximum_batching_window_in_seconds");
      expect(Number(mapping.batch_size)).toBeLessThanOrEqual(10);
      expect(mapping.function_response_types).toEqual(["ReportBatchItemFailures"]);
    }
  });

  it("tells every consumer its queue is FIFO, and the API nothing without content deduplication", () => {
    for (const variables of consumerVariables(json)) {
      expect(variables[CONSUMER_ENV.fifoQueue]).toBe("true");
    }
    if (name === "primary") {
      expect(apiVariables(json)).not.toHaveProperty(ENV_CONTENT_BASED_DEDUPLICATION);
    }
  });

  it("keeps the alarm topics standard (CloudWatch alarms notify standard topics only)", () => {
    const alarmTopics = resources(json, "aws_sns_topic").filter(([, t]) =>
      String(t.name).includes("-alarms-"),
    );
    expect(alarmTopics.length).toBeGreaterThan(0);
    for (const [, topic] of alarmTopics) {
      expect(topic).not.toHaveProperty("fifo_topic");
      expect(String(topic.name)).not.toMatch(/\.fifo$/);
    }
  });

  it("says FIFO in the dashboard's header and charts the held-back records of every queue", () => {
    const all = widgets(json);
    expect(String(all[0].properties.markdown)).toContain("FIFO topic and queues");
    const heldBack = all.filter((w) =>
      JSON.stringify(w.properties).includes(`"${HELD_BACK_METRIC.name}"`),
    );
    expect(heldBack).toHaveLength(1);
    expect(heldBack[0].properties.metrics).toHaveLength(2);
  });
});

describe("fifoThroughput high with content-based deduplication", () => {
  const { json } = high.primary;

  it("scopes the topic's throughput to the message group and deduplicates by content", () => {
    expect(fanOutTopics(json)[0][1]).toMatchObject({
      fifo_topic: true,
      content_based_deduplication: true,
      fifo_throughput_scope: "MessageGroup",
    });
  });

  it("gives every queue high throughput: deduplication and limit per message group", () => {
    for (const [, queue] of resources(json, "aws_sqs_queue")) {
      expect(queue).toMatchObject({
        fifo_queue: true,
        content_based_deduplication: true,
        deduplication_scope: "messageGroup",
        fifo_throughput_limit: "perMessageGroupId",
      });
    }
  });

  it("tells the API that the topic deduplicates by content", () => {
    expect(apiVariables(json)[ENV_CONTENT_BASED_DEDUPLICATION]).toBe("true");
  });
});

describe("a standard unit", () => {
  it.each(["primary", "secondary"])("%s has no FIFO argument, name, variable or widget", (name) => {
    const { json } = plain[name];
    for (const type of ["aws_sns_topic", "aws_sqs_queue"]) {
      for (const [, resource] of resources(json, type)) {
        for (const argument of FIFO_ARGUMENTS) expect(resource).not.toHaveProperty(argument);
        expect(String(resource.name)).not.toMatch(/\.fifo$/);
      }
    }
    for (const [, mapping] of resources(json, "aws_lambda_event_source_mapping")) {
      expect(mapping.maximum_batching_window_in_seconds).toBe(0);
    }
    for (const variables of consumerVariables(json)) {
      expect(variables).not.toHaveProperty(CONSUMER_ENV.fifoQueue);
    }
    expect(JSON.stringify(widgets(json))).not.toContain(HELD_BACK_METRIC.name);
  });
});
