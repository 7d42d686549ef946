/**
 * The offline `terraform plan` of every stack, default and three-region configurations, with
 * real Terraform and the real hashicorp/aws provider from the mirror in FANOUT_PROVIDER_MIRROR,
 * then the plan check over `terraform show -json`: the wiring, and the policy rules a plan must
 * keep.
 *
 * The review report's resource counts are checked against the same plans.
 *
 * Where Terraform or the mirror is missing this suite says why and skips, unless
 * FANOUT_REQUIRE_PLAN=1 (as in CI), where it fails.
 */
import { cpSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { FanoutConfig } from "../../config/config";
import { ConfigResource, PlanJson } from "../../inspect/plan";
import { StackIndex } from "../../inspect/stack-index";
import { readStacks, tempOutdir } from "../../inspect/synth";
import { StackJson } from "../../inspect/terraform-json";
import { OVERRIDE_FILE, planAll, StackPlan } from "../../verify/offline-plan";
import { checkPlan } from "../../verify/plan-check";
import { regionsByName, wiringExpectation } from "../../verify/wiring";
import { runChecks } from "../../checks/run";
import { buildReport, countResources } from "../../review/report";
import { defaultConfig, synthOutdir } from "../support/synth";
import { TERRAFORM_SETUP_TIMEOUT_MS, terraformSuite } from "../support/terraform";

const terraform = terraformSuite("OFFLINE TERRAFORM PLAN");

interface Planned {
  readonly config: FanoutConfig;
  readonly outdir: string;
  /** The synthesized stacks, read before planning writes its files beside them. */
  readonly stacks: StackJson[];
  readonly plans: StackPlan[];
}

const configs = {
  default: defaultConfig(),
  // Three regions and FIFO units in one configuration: the provider validates and plans every
  // FIFO argument without a plan of its own.
  "three-region FIFO": defaultConfig({
    FANOUT_STACKS: "primary=us-east-1,secondary=us-west-2,tertiary=eu-west-1",
    FANOUT_FIFO: "true",
    FANOUT_FIFO_THROUGHPUT: "high",
  }),
};
const planned: Record<string, Planned> = {};

terraform.describe("offline terraform plan", () => {
  beforeAll(async () => {
    terraform.assertAvailable();
    for (const [label, config] of Object.entries(configs)) {
      const outdir = tempOutdir(label);
      cpSync(synthOutdir(config), outdir, { recursive: true });
      const stacks = readStacks(outdir);
      planned[label] = { config, outdir, stacks, plans: await planAll(outdir) };
    }
  }, TERRAFORM_SETUP_TIMEOUT_MS);

  afterAll(() => {
    for (const p of Object.values(planned)) rmSync(p.outdir, { recursive: true, force: true });
  });

  describe.each(Object.keys(configs))("%s configuration", (label) => {
    it("plans every stack", () => {
      const { config, plans } = planned[label];
      expect(plans.map((p) => p.stack)).toEqual(config.units.map((u) => u.stack).sort());
    });

    it("creates every resource the synth declared, and nothing else", () => {
      for (const { stack, plan, resourceCount } of planned[label].plans) {
        const synthesized = JSON.parse(
          readFileSync(join(planned[label].outdir, "stacks", stack, "cdk.tf.json"), "utf8"),
        );
        const declared = Object.values(synthesized.resource as Record<string, object>).reduce(
          (n, byId) => n + Object.keys(byId).length,
          0,
        );
        expect(resourceCount).toBe(declared);
        expect(
          (plan.resource_changes ?? []).every((r) => r.change.actions.every((a) => a !== "delete")),
        ).toBe(true);
      }
    });

    it("wires every resource in the region the design gives it", () => {
      const { config, plans } = planned[label];
      for (const { stack, plan } of plans) {
        expect(checkPlan(stack, plan, wiringExpectation(config, stack))).toEqual([]);
      }
    });

    it("leaves the product's provider blocks clean: credentials only in the override", () => {
      for (const { stack } of planned[label].plans) {
        const dir = join(planned[label].outdir, "stacks", stack);
        expect(readFileSync(join(dir, "cdk.tf.json"), "utf8")).not.toMatch(
          /access_key|secret_key|skip_/,
        );
        expect(readFileSync(join(dir, OVERRIDE_FILE), "utf8")).toContain(
          "skip_requesting_account_id",
        );
      }
    });
  });

  it("plans FIFO topics and queues, dead-letter queues included, with .fifo names", () => {
    for (const { plan } of planned["three-region FIFO"].plans) {
      const after = (type: string) =>
        (plan.resource_changes ?? [])
          .filter((r) => r.type === type)
          .map((r) => r.change.after as Record<string, unknown>);
      const topics = after("aws_sns_topic").filter((t) => t.fifo_topic === true);
      expect(topics).toHaveLength(1);
      expect(topics[0]).toMatchObject({ fifo_throughput_scope: "MessageGroup" });
      const queues = after("aws_sqs_queue");
      expect(queues.length).toBeGreaterThan(0);
      for (const q of queues) {
        expect(q).toMatchObject({
          fifo_queue: true,
          name: expect.stringMatching(/\.fifo$/),
          deduplication_scope: "messageGroup",
          fifo_throughput_limit: "perMessageGroupId",
        });
      }
    }
  });

  describe("the review report's resource counts", () => {
    it("plans the stacks the report describes", () => {
      expect(planned.default.plans.map((p) => p.stack)).toEqual(
        planned.default.stacks.map((s) => s.name),
      );
    });

    it("counts, per stack, as many resources as the JSON holds and the plan creates", () => {
      const { stacks } = planned.default;
      const report = buildReport({ stacks, violations: runChecks(stacks) });
      const reported = [...report.matchAll(/^\| \*\*total\*\* \|.*\| \*\*(\d+)\*\* \|$/gm)].map(
        (m) => Number(m[1]),
      );
      for (const [i, stack] of planned.default.stacks.entries()) {
        const counts = countResources(new StackIndex(stack));
        const inJson = Object.values(stack.json.resource ?? {}).reduce(
          (n, byId) => n + Object.keys(byId).length,
          0,
        );
        expect({ stack: stack.name, reported: reported[i], counted: counts.total, inJson }).toEqual(
          {
            stack: stack.name,
            reported: planned.default.plans[i].resourceCount,
            counted: planned.default.plans[i].resourceCount,
            inJson: planned.default.plans[i].resourceCount,
          },
        );
      }
    });

    it("counts per type what the plan creates per type", () => {
      for (const [i, stack] of planned.default.stacks.entries()) {
        const counts = countResources(new StackIndex(stack));
        const created = new Map<string, number>();
        for (const r of planned.default.plans[i].plan.resource_changes ?? []) {
          if (r.mode === "managed" && r.change.actions.includes("create")) {
            created.set(r.type, (created.get(r.type) ?? 0) + 1);
          }
        }
        const reported = new Map(
          [...counts.byType].map(([type, row]) => [
            type,
            [...row.values()].reduce((a, b) => a + b),
          ]),
        );
        expect(reported).toEqual(new Map([...created].sort(([a], [b]) => a.localeCompare(b))));
      }
    });
  });

  describe("the plan check fails on miswired plans", () => {
    const expectation = () => wiringExpectation(configs.default, "primary");
    const primary = (): PlanJson =>
      structuredClone(planned.default.plans.find((p) => p.stack === "primary")!.plan);
    const resourcesOf = (plan: PlanJson) =>
      plan.configuration.root_module.resources as ConfigResource[];
    const find = (
      plan: PlanJson,
      type: string,
      pred: (r: ConfigResource) => boolean = () => true,
    ) => resourcesOf(plan).find((r) => r.type === type && pred(r))!;
    const problemsOf = (plan: PlanJson) =>
      checkPlan("primary", plan, expectation()).map((p) => `${p.address}: ${p.problem}`);

    it("when a cross-region subscription is created in the queue's region", () => {
      const plan = primary();
      const sub = find(plan, "aws_sns_topic_subscription", (r) => r.address.includes("replica"));
      (sub as { provider_config_key: string }).provider_config_key = "aws.us-west-2";
      expect(problemsOf(plan)).toEqual(
        expect.arrayContaining([
          expect.stringMatching(
            /subscription.*planned in us-west-2 but topic_arn is .* in us-east-1/,
          ),
        ]),
      );
    });

    it("when a replica queue is planned in the home region", () => {
      const plan = primary();
      const queue = find(plan, "aws_sqs_queue", (r) => r.address.includes("replica"));
      (queue as { provider_config_key: string }).provider_config_key = "aws.us-east-1";
      expect(problemsOf(plan).join("\n")).toMatch(
        /fanout-primary-replica-us-west-2 planned in us-east-1; expected us-west-2/,
      );
    });

    it("when a queue policy lets another topic send", () => {
      const plan = primary();
      const doc = find(plan, "aws_iam_policy_document", (r) =>
        r.address.includes("replica-us-west-2_subscription_queue-policy"),
      );
      const json = JSON.stringify(doc.expressions).replace(
        /aws_sns_topic\.[A-Za-z0-9_-]+/g,
        "aws_sns_topic.someone_elses",
      );
      (doc as { expressions: unknown }).expressions = JSON.parse(json);
      expect(problemsOf(plan).join("\n")).toMatch(
        /replica-us-west-2_subscription_queue-policy_[0-9A-F]+: sqs-policy-feeding-topic: lets aws_sns_topic\.someone_elses send to aws_sqs_queue\.replica-us-west-2_queue_/,
      );
    });

    it("when a queue loses its TLS-only statement", () => {
      const plan = primary();
      const doc = find(plan, "aws_iam_policy_document", (r) =>
        r.address.includes("active_queue_dead-letter-policy"),
      );
      (doc.expressions as { statement: unknown[] }).statement = [];
      expect(problemsOf(plan).join("\n")).toMatch(
        /sqs-tls-only: policy of aws_sqs_queue\.active_queue_dead-letter-queue_[0-9A-F]+ has no Deny of sqs:\*/,
      );
    });

    it("when a queue is not encrypted", () => {
      const plan = primary();
      const queue = find(plan, "aws_sqs_queue", (r) => r.address.includes("active_queue_"));
      (queue.expressions as Record<string, unknown>).sqs_managed_sse_enabled = {
        constant_value: false,
      };
      expect(problemsOf(plan).join("\n")).toMatch(
        /active_queue_[0-9A-F]+: sqs-encryption: has neither sqs_managed_sse_enabled = true nor a KMS key/,
      );
    });

    it("when a consumer is planned in another region than its queue", () => {
      const plan = primary();
      for (const type of ["aws_lambda_event_source_mapping", "aws_lambda_function"]) {
        const r = find(plan, type, (x) => x.address.includes("replica"));
        (r as { provider_config_key: string }).provider_config_key = "aws.us-east-1";
      }
      expect(problemsOf(plan).join("\n")).toMatch(
        /replica-us-west-2_consumer_event-source-mapping.*planned in us-east-1 but event_source_arn is .* in us-west-2/,
      );
    });

    it("when a function logs to no log group of its own", () => {
      const plan = primary();
      const fn = find(plan, "aws_lambda_function", (x) => x.address.includes("active"));
      delete (fn.expressions as Record<string, unknown>).logging_config;
      expect(problemsOf(plan).join("\n")).toMatch(
        /active_consumer_function_[0-9A-F]+: logging_config must reference a resource of the stack/,
      );
    });

    it("when a function's log group is not /aws/lambda/<function name>", () => {
      const plan = primary();
      const group = find(plan, "aws_cloudwatch_log_group", (x) => x.address.includes("active"));
      (group.expressions as Record<string, unknown>).name = { constant_value: "/aws/lambda/x" };
      expect(problemsOf(plan).join("\n")).toMatch(
        /active_consumer_function_[0-9A-F]+: lambda-log-group: has 0 log groups named \/aws\/lambda\/fanout-primary-active-consumer in us-east-1/,
      );
    });

    it("when a queue loses its dead-letter queue", () => {
      const plan = primary();
      const queue = find(plan, "aws_sqs_queue", (r) =>
        r.address.includes("replica-us-west-2_queue_"),
      );
      delete (queue.expressions as Record<string, unknown>).redrive_policy;
      expect(problemsOf(plan).join("\n")).toMatch(
        /replica-us-west-2_queue_[0-9A-F]+: sqs-dead-letter-queue: has no redrive_policy/,
      );
    });

    it("when a queue's dead-letter queue is in another region", () => {
      const plan = primary();
      const queue = find(plan, "aws_sqs_queue", (r) =>
        r.address.includes("replica-us-west-2_queue_"),
      );
      const dlq = find(plan, "aws_sqs_queue", (r) =>
        r.address.includes("active_queue_dead-letter"),
      );
      const json = JSON.stringify(queue.expressions).replace(
        /aws_sqs_queue\.replica-us-west-2_queue_dead-letter-queue_[0-9A-F]+/g,
        dlq.address,
      );
      (queue as { expressions: unknown }).expressions = JSON.parse(json);
      expect(problemsOf(plan).join("\n")).toMatch(
        /replica-us-west-2_queue_[0-9A-F]+: planned in us-west-2 but redrive_policy is aws_sqs_queue\.active_queue_dead-letter-queue_[0-9A-F]+ in us-east-1/,
      );
    });

    it("when a queue has no consumer", () => {
      const plan = primary();
      const resourcesList = resourcesOf(plan);
      const i = resourcesList.findIndex(
        (r) => r.type === "aws_lambda_event_source_mapping" && r.address.includes("active"),
      );
      resourcesList.splice(i, 1);
      expect(problemsOf(plan).join("\n")).toMatch(
        /active_queue_[0-9A-F]+: has 0 consumers; expected exactly one/,
      );
    });

    it("when the API is planned outside the home region", () => {
      const plan = primary();
      for (const r of resourcesOf(plan).filter((x) => x.type.startsWith("aws_api_gateway"))) {
        (r as { provider_config_key: string }).provider_config_key = "aws.us-west-2";
      }
      const problems = problemsOf(plan).join("\n");
      expect(problems).toMatch(
        /aws_api_gateway_rest_api\.producer-api_[0-9A-F]+: planned in us-west-2; expected home us-east-1/,
      );
      expect(problems).toMatch(
        /aws_api_gateway_integration\..*: planned in us-west-2 but uri is aws_lambda_function\..* in us-east-1/,
      );
    });

    it("when an alarm is planned away from the queue it watches", () => {
      const plan = primary();
      const alarm = find(plan, "aws_cloudwatch_metric_alarm", (r) =>
        r.address.includes("replica-us-west-2-dlq-depth"),
      );
      (alarm as { provider_config_key: string }).provider_config_key = "aws.us-east-1";
      expect(problemsOf(plan).join("\n")).toMatch(
        /replica-us-west-2-dlq-depth.*planned in us-east-1 but (alarm_actions|dimensions) is .* in us-west-2/,
      );
    });

    it("when a resource type has no wiring rule", () => {
      const plan = primary();
      resourcesOf(plan).push({
        ...find(plan, "aws_sns_topic"),
        address: "aws_sns_platform_application.x",
        type: "aws_sns_platform_application",
      });
      expect(problemsOf(plan)).toContain(
        "aws_sns_platform_application.x: no wiring rule for resource type aws_sns_platform_application",
      );
    });
  });
});

describe("regionsByName", () => {
  const primary = configs.default.units.find((u) => u.stack === "primary")!;
  it.each([
    ["fanout-primary-active", "us-east-1"],
    ["fanout-primary-active-dlq", "us-east-1"],
    ["fanout-primary-replica-us-west-2", "us-west-2"],
    ["fanout-primary-replica-us-west-2-dlq", "us-west-2"],
    ["fanout-primary-replica-us-west-2-delivery-dlq", "us-east-1"],
    ["fanout-primary-topic", "us-east-1"],
    ["fanout-primary-alarms-us-west-2", "us-west-2"],
    ["something-else", undefined],
  ])("places %s in %s", (name, region) => {
    expect(regionsByName(primary.names, primary.homeRegion).get(name)).toBe(region);
  });
});
