import { CONSUMER_ENV, consumerEnvironment } from "../../lambdas/consumer/env";
import {
  defaultConfig,
  ref,
  resources,
  resourceWhere,
  statementsOf,
  synthAll,
  synthAllFresh,
  TerraformJson,
} from "../support/synth";

const config = defaultConfig();
const stacks = synthAll(config);

/** The function, log group, role policies and mapping of the consumer of one queue. */
function consumerOf(json: TerraformJson, functionName: string) {
  const [fnId, fn] = resourceWhere(json, "aws_lambda_function", "function_name", functionName);
  const [groupId, group] = resourceWhere(
    json,
    "aws_cloudwatch_log_group",
    "name",
    `/aws/lambda/${functionName}`,
  );
  const [roleId] = resourceWhere(json, "aws_iam_role", "name", functionName);
  const policies = resources(json, "aws_iam_role_policy")
    .filter(([, p]) => p.role === ref("aws_iam_role", roleId, "name"))
    .map(([, p]) => ({ name: p.name, statements: statementsOf(json, p.policy) }));
  const [, mapping] = resourceWhere(
    json,
    "aws_lambda_event_source_mapping",
    "function_name",
    ref("aws_lambda_function", fnId, "arn"),
  );
  return { fnId, fn, groupId, group, roleId, policies, mapping };
}

describe.each(config.units.map((u) => [u.stack, u] as const))("consumers of %s", (name, unit) => {
  const { json } = stacks[name];

  it("has exactly one function and one mapping per queue", () => {
    const consumers = resources(json, "aws_lambda_function").filter(([, fn]) =>
      String(fn.function_name).endsWith("-consumer"),
    );
    expect(consumers).toHaveLength(unit.names.queues.length);
    expect(resources(json, "aws_lambda_event_source_mapping")).toHaveLength(
      unit.names.queues.length,
    );
  });

  describe.each(unit.names.queues.map((q) => [`${q.role} in ${q.region}`, q] as const))(
    "%s",
    (_, names) => {
      const [queueId] = resourceWhere(json, "aws_sqs_queue", "name", names.queue);
      const c = consumerOf(json, names.consumerFunction);

      it("runs nodejs22.x on arm64 in the queue's region, with source maps", () => {
        expect(c.fn).toMatchObject({
          provider: `aws.${names.region}`,
          runtime: "nodejs22.x",
          architectures: ["arm64"],
          handler: "index.handler",
          timeout: 30,
          memory_size: 256,
          role: ref("aws_iam_role", c.roleId, "arn"),
        });
        expect(String(c.fn.filename)).toMatch(
          /^assets\/code-consumer\/[0-9A-F]{32}\/consumer\.zip$/,
        );
        expect(String(c.fn.filename)).toContain(String(c.fn.source_code_hash));
      });

      it("sets exactly the environment the consumer reads", () => {
        expect(c.fn.environment).toEqual({
          variables: {
            ...consumerEnvironment({
              unitName: unit.names.unit,
              stack: name,
              role: names.role,
            }),
            NODE_OPTIONS: "--enable-source-maps",
          },
        });
        expect(
          (c.fn.environment as { variables: Record<string, string> }).variables[
            CONSUMER_ENV.queueRole
          ],
        ).toBe(names.role);
      });

      it("logs to its own log group with retention, created before the function", () => {
        expect(c.group).toMatchObject({ provider: `aws.${names.region}`, retention_in_days: 14 });
        expect(c.fn.logging_config).toEqual({
          log_format: "JSON",
          log_group: ref("aws_cloudwatch_log_group", c.groupId, "name"),
        });
        expect(c.fn.depends_on).toContain(`aws_cloudwatch_log_group.${c.groupId}`);
      });

      it("may consume its own queue and write its own logs, nothing else", () => {
        expect(c.policies).toEqual(
          expect.arrayContaining([
            {
              name: "consume-queue",
              statements: [
                {
                  sid: "ConsumeOwnQueue",
                  effect: "Allow",
                  actions: [
                    "sqs:ReceiveMessage",
                    "sqs:DeleteMessage",
                    "sqs:ChangeMessageVisibility",
                    "sqs:GetQueueAttributes",
                  ],
                  resources: [ref("aws_sqs_queue", queueId, "arn")],
                },
              ],
            },
            {
              name: "logging",
              statements: [
                {
                  sid: "WriteOwnLogGroup",
                  effect: "Allow",
                  actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
                  resources: [`${ref("aws_cloudwatch_log_group", c.groupId, "arn")}:*`],
                },
              ],
            },
          ]),
        );
        expect(c.policies).toHaveLength(2);
      });

      it("is fed by a mapping in the queue's region with partial batch responses", () => {
        expect(c.mapping).toMatchObject({
          provider: `aws.${names.region}`,
          event_source_arn: ref("aws_sqs_queue", queueId, "arn"),
          enabled: true,
          batch_size: 10,
          maximum_batching_window_in_seconds: 0,
          function_response_types: ["ReportBatchItemFailures"],
          scaling_config: { maximum_concurrency: 5 },
        });
      });
    },
  );

  it("outputs consumer function and log group names by region", () => {
    expect(json.output.consumer_function_names.value).toEqual(
      Object.fromEntries(unit.names.queues.map((q) => [q.region, expect.stringContaining("${")])),
    );
    expect(Object.keys(json.output.consumer_log_group_names.value as object).sort()).toEqual(
      [...config.regions].sort(),
    );
  });
});

describe("active-standby mode", () => {
  const standby = synthAll(defaultConfig({ FANOUT_CONSUMER_MODE: "active-standby" }));

  it.each(config.units.map((u) => [u.stack, u] as const))(
    "disables only the replica consumers of %s",
    (name, unit) => {
      for (const q of unit.names.queues) {
        const { mapping } = consumerOf(standby[name].json, q.consumerFunction);
        expect(mapping.enabled).toBe(q.role === "active");
      }
    },
  );
});

describe("packaging", () => {
  it("gives the same asset hash to every consumer, synth after synth", () => {
    const hashes = [stacks, synthAllFresh(config)].flatMap((set) =>
      Object.values(set).flatMap(({ json }) =>
        resources(json, "aws_lambda_function")
          .filter(([, fn]) => String(fn.function_name).endsWith("-consumer"))
          .map(([, fn]) => fn.source_code_hash),
      ),
    );
    expect(new Set(hashes).size).toBe(1);
  });
});
