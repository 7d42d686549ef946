/**
 * Alarms beyond queue depths and errors: throttles, the API's 4XX rate, the topic's failed
 * moves to a subscription DLQ and incomplete fan-out, and the standby replicas' drain alarm.
 * Each watches the right metric with the right dimensions (Terraform references to the
 * stack's own resources), in the metric's region, notifying that region's alarm topic.
 */
import {
  defaultConfig,
  ref,
  resources,
  resourceWhere,
  synthAll,
  TerraformJson,
} from "../support/synth";

const config = defaultConfig();
const stacks = synthAll(config);

type Alarm = Record<string, unknown>;
interface Query {
  id: string;
  expression?: string;
  return_data?: boolean;
  metric?: { metric_name: string; namespace: string; stat: string; dimensions: object };
}

const alarmsOf = (json: TerraformJson): Alarm[] =>
  resources(json, "aws_cloudwatch_metric_alarm").map(([, a]) => a);
const named = (json: TerraformJson, name: string): Alarm => {
  const found = alarmsOf(json).filter((a) => a.alarm_name === name);
  expect(found).toHaveLength(1);
  return found[0];
};
/** The alarm topic of `region` in the stack, as the ARN reference alarms notify. */
const topicIn = (json: TerraformJson, stack: string, region: string): string =>
  ref(
    "aws_sns_topic",
    resourceWhere(json, "aws_sns_topic", "name", `fanout-${stack}-alarms-${region}`)[0],
    "arn",
  );

/** The alarm lives in `region` and notifies that region's alarm topic, on alarm and on OK. */
function expectIn(json: TerraformJson, stack: string, alarm: Alarm, region: string): void {
  expect(alarm.provider).toBe(`aws.${region}`);
  expect(alarm.alarm_actions).toEqual([topicIn(json, stack, region)]);
  expect(alarm.ok_actions).toEqual([topicIn(json, stack, region)]);
}

describe.each(config.units.map((u) => [u.stack, u] as const))("alarms of %s", (name, unit) => {
  const { json } = stacks[name];
  const home = unit.homeRegion;
  const [topicId] = resourceWhere(json, "aws_sns_topic", "name", `fanout-${name}-topic`);
  const topicName = ref("aws_sns_topic", topicId, "name");
  const functionName = (fn: string) =>
    ref(
      "aws_lambda_function",
      resourceWhere(json, "aws_lambda_function", "function_name", fn)[0],
      "function_name",
    );

  it.each(unit.names.queues.map((q) => [q.id, q] as const))(
    "alarms on throttles of the %s consumer, in its region",
    (id, q) => {
      const alarm = named(json, `fanout-${name}/${id}-consumer-throttles`);
      expect(alarm).toMatchObject({
        namespace: "AWS/Lambda",
        metric_name: "Throttles",
        dimensions: { FunctionName: functionName(q.consumerFunction) },
        statistic: "Sum",
        threshold: 0,
        comparison_operator: "GreaterThanThreshold",
      });
      expectIn(json, name, alarm, q.region);
    },
  );

  it("alarms on throttles of the API function, in the home region", () => {
    const alarm = named(json, `fanout-${name}/api-function-throttles`);
    expect(alarm).toMatchObject({
      namespace: "AWS/Lambda",
      metric_name: "Throttles",
      dimensions: { FunctionName: functionName(unit.names.apiFunction) },
      threshold: 0,
    });
    expectIn(json, name, alarm, home);
  });

  it("alarms on the API's 4XX rate, per API and stage, in the home region", () => {
    const [apiId] = resourceWhere(json, "aws_api_gateway_rest_api", "name", unit.names.api);
    const [stageId] = resources(json, "aws_api_gateway_stage")[0];
    const alarm = named(json, `fanout-${name}/api-4xx-rate`);
    expect(alarm).toMatchObject({
      namespace: "AWS/ApiGateway",
      metric_name: "4XXError",
      dimensions: {
        ApiName: ref("aws_api_gateway_rest_api", apiId, "name"),
        Stage: ref("aws_api_gateway_stage", stageId, "stage_name"),
      },
      statistic: "Average",
      threshold: 0.1,
      evaluation_periods: 3,
      datapoints_to_alarm: 2,
    });
    expectIn(json, name, alarm, home);
  });

  it("alarms when SNS fails to move a failed delivery to a subscription DLQ", () => {
    const alarm = named(json, `fanout-${name}/topic-redrive-to-dlq-failed`);
    expect(alarm).toMatchObject({
      namespace: "AWS/SNS",
      metric_name: "NumberOfNotificationsFailedToRedriveToDlq",
      dimensions: { TopicName: topicName },
      statistic: "Sum",
      threshold: 0,
    });
    expectIn(json, name, alarm, home);
  });

  it("alarms when the topic delivers fewer copies than publishes times queues", () => {
    const alarm = named(json, `fanout-${name}/topic-fan-out-incomplete`);
    expectIn(json, name, alarm, home);
    expect(alarm.metric_name).toBeUndefined();
    const queries = alarm.metric_query as Query[];
    const n = unit.names.queues.length;
    expect(queries.filter((q) => q.return_data)).toEqual([
      expect.objectContaining({
        expression: `IF(published > 0, 1 - delivered / (${n} * published), 0)`,
      }),
    ]);
    const metric = (id: string) => queries.find((q) => q.id === id)?.metric;
    for (const [id, metricName] of [
      ["published", "NumberOfMessagesPublished"],
      ["delivered", "NumberOfNotificationsDelivered"],
    ]) {
      expect(metric(id)).toMatchObject({
        namespace: "AWS/SNS",
        metric_name: metricName,
        dimensions: { TopicName: topicName },
        stat: "Sum",
        period: 300,
      });
    }
    expect(alarm).toMatchObject({ threshold: 0.1, evaluation_periods: 3, datapoints_to_alarm: 3 });
  });
});

describe("standby replicas", () => {
  const standby = defaultConfig({ FANOUT_CONSUMER_MODE: "active-standby" });
  const { json } = synthAll(standby).primary;
  const [replica] = standby.units[0].names.queues.filter((q) => q.role === "replica");
  const ageAlarm = (id: string) => named(json, `fanout-primary/${id}-oldest-message-age`);

  it("alarm on their age only while their consumer runs, after the drain grace", () => {
    const alarm = ageAlarm(replica.id);
    expectIn(json, "primary", alarm, replica.region);
    const queries = alarm.metric_query as Query[];
    expect(queries.find((q) => q.return_data)?.expression).toBe(
      "IF(FILL(invocations, 0) > 0, age, 0)",
    );
    const [queueId] = resourceWhere(json, "aws_sqs_queue", "name", replica.queue);
    const [fnId] = resourceWhere(
      json,
      "aws_lambda_function",
      "function_name",
      replica.consumerFunction,
    );
    expect(queries.find((q) => q.id === "age")?.metric).toMatchObject({
      namespace: "AWS/SQS",
      metric_name: "ApproximateAgeOfOldestMessage",
      dimensions: { QueueName: ref("aws_sqs_queue", queueId, "name") },
      stat: "Maximum",
    });
    expect(queries.find((q) => q.id === "invocations")?.metric).toMatchObject({
      namespace: "AWS/Lambda",
      metric_name: "Invocations",
      dimensions: { FunctionName: ref("aws_lambda_function", fnId, "function_name") },
      stat: "Sum",
    });
    // 60 minutes of 5-minute periods by default, every one of them above 80% of retention.
    expect(alarm).toMatchObject({
      threshold: Math.floor(0.8 * standby.queues.replicaRetentionSeconds),
      evaluation_periods: 12,
      datapoints_to_alarm: 12,
    });
  });

  it("leave the active queue's age alarm as it is", () => {
    expect(ageAlarm("active")).toMatchObject({
      metric_name: "ApproximateAgeOfOldestMessage",
      threshold: 300,
      evaluation_periods: 1,
    });
  });

  it("take the drain grace from the configuration, in whole 5-minute periods", () => {
    const graced = synthAll(
      defaultConfig({
        FANOUT_CONSUMER_MODE: "active-standby",
        FANOUT_ALARM_STANDBY_DRAIN_GRACE_MINUTES: "7",
      }),
    ).primary.json;
    expect(named(graced, `fanout-primary/${replica.id}-oldest-message-age`)).toMatchObject({
      evaluation_periods: 2,
      datapoints_to_alarm: 2,
    });
  });
});
