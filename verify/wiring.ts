/**
 * A wiring check over `terraform show -json` of one stack: what only a plan shows, the resolved
 * region of every resource, each subscription made with its topic's provider (in its region),
 * and one mapping per queue. The policy invariants (encryption, dead-letter queues, queue
 * policies, log groups) belong to the rules of `checks/rules/`; `plan-check.ts` runs those on
 * the plan too.
 *
 * Regions come from each resource's provider (`provider_config_key` -> the provider's
 * `region`), references from the configuration expressions, so the check sees what Terraform
 * will do, not what the TypeScript meant.
 */
import { FanoutConfig } from "../config/config";
import { UnitNames } from "../config/names";
import { ConfigResource, constant, PlanIndex, PlanJson } from "../inspect/plan";

export interface WiringExpectation {
  /** The stack's home region: topic, active queue, subscriptions and their DLQs live there. */
  readonly homeRegion: string;
  /** Every configured region: one queue of the stack in each. */
  readonly regions: readonly string[];
  /** The unit's physical names, from the configuration. */
  readonly names: UnitNames;
}

/** What the configuration says the plan of `stack` must look like. */
export function wiringExpectation(config: FanoutConfig, stack: string): WiringExpectation {
  const unit = config.units.find((u) => u.stack === stack);
  if (!unit) throw new Error(`no unit ${stack} in the configuration`);
  return { homeRegion: unit.homeRegion, regions: config.regions, names: unit.names };
}

export interface WiringProblem {
  readonly address: string;
  readonly problem: string;
}

/**
 * Resource types that must live in the same region as the resources some of their attributes
 * reference (the "anchors"). An attribute ending in `?` may reference nothing; every other one
 * must reference at least one resource. Every managed resource type of a stack must appear here,
 * in `HOME_TYPES`, `NAMED_BY_REGION` or `GLOBAL_TYPES`.
 */
export const SAME_REGION_AS: Readonly<Record<string, readonly string[]>> = {
  aws_sns_topic: ["kms_master_key_id?"],
  aws_sns_topic_policy: ["arn"],
  aws_sns_topic_subscription: ["topic_arn"],
  aws_sqs_queue_policy: ["queue_url"],
  aws_sqs_queue_redrive_allow_policy: ["queue_url"],
  aws_lambda_event_source_mapping: ["event_source_arn", "function_name"],
  aws_sqs_queue: ["redrive_policy?"],
  aws_lambda_function: ["logging_config"],
  aws_cloudwatch_log_group: [], // placed by the function or stage that logs to it
  aws_api_gateway_resource: ["rest_api_id"],
  aws_api_gateway_method: ["rest_api_id"],
  aws_api_gateway_integration: ["rest_api_id", "uri"],
  aws_api_gateway_deployment: ["rest_api_id"],
  aws_api_gateway_stage: ["rest_api_id", "access_log_settings?"],
  aws_api_gateway_method_settings: ["rest_api_id"],
  aws_lambda_permission: ["function_name", "source_arn"],
  aws_cloudwatch_metric_alarm: ["alarm_actions", "ok_actions", "dimensions?"],
  aws_kms_alias: ["target_key_id"],
  aws_kms_key: [], // placed by the topic it encrypts (see section 4)
};

/** Resource types that live in the home region, by design. */
export const HOME_TYPES: readonly string[] = [
  "aws_api_gateway_rest_api",
  "aws_api_gateway_account",
  "aws_cloudwatch_dashboard",
  "aws_dynamodb_table", // a global table: its replicas are blocks of the home region's table
];

/** Resource types placed by their name, as the configuration gives it (see `regionsByName`). */
export const NAMED_BY_REGION: readonly string[] = ["aws_sqs_queue", "aws_sns_topic"];

/** Global (region-less) resource types. */
export const GLOBAL_TYPES: readonly string[] = ["aws_iam_role", "aws_iam_role_policy"];

/**
 * The region the design gives each queue and topic, by name: the topic, every delivery DLQ
 * (SNS requires them in the topic's region) home; each queue and its DLQ in the queue's region;
 * each alarm topic in its region.
 */
export function regionsByName(names: UnitNames, homeRegion: string): Map<string, string> {
  const regions = new Map<string, string>([[names.topic, homeRegion]]);
  for (const q of names.queues) {
    regions.set(q.queue, q.region);
    regions.set(q.deadLetterQueue, q.region);
    regions.set(q.deliveryDeadLetterQueue, homeRegion);
  }
  for (const [region, topic] of Object.entries(names.alarmTopics)) regions.set(topic, region);
  return regions;
}

type Fail = (address: string, problem: string) => void;

/** 1. Every resource in a configured region, and in the region the design gives it. */
function checkRegions(plan: PlanIndex, expect: WiringExpectation, fail: Fail): void {
  const byName = regionsByName(expect.names, expect.homeRegion);
  for (const r of plan.resources) {
    const region = plan.regionOf(r);
    if (region === undefined) {
      fail(r.address, `provider ${r.provider_config_key} has no constant region`);
      continue;
    }
    if (!expect.regions.includes(region)) {
      fail(r.address, `planned in ${region}, which is not a configured region`);
    }
    if (r.mode === "data" || GLOBAL_TYPES.includes(r.type)) continue;
    const known =
      HOME_TYPES.includes(r.type) ||
      NAMED_BY_REGION.includes(r.type) ||
      SAME_REGION_AS[r.type] !== undefined;
    if (!known) {
      fail(r.address, `no wiring rule for resource type ${r.type}`);
      continue;
    }
    if (HOME_TYPES.includes(r.type) && region !== expect.homeRegion) {
      fail(r.address, `planned in ${region}; expected home ${expect.homeRegion}`);
    }
    if (NAMED_BY_REGION.includes(r.type)) {
      const name = plan.text(r, "name");
      const want = byName.get(name);
      if (want !== region) fail(r.address, `${name} planned in ${region}; expected ${want}`);
    }
    checkAnchors(plan, r, region, fail);
  }
}

/** A resource lies in the region of the resources its `SAME_REGION_AS` attributes reference. */
function checkAnchors(plan: PlanIndex, r: ConfigResource, region: string, fail: Fail): void {
  for (const spec of SAME_REGION_AS[r.type] ?? []) {
    const optional = spec.endsWith("?");
    const attr = optional ? spec.slice(0, -1) : spec;
    const anchors = plan.refs(r, attr);
    if (anchors.length === 0 && !optional) {
      fail(r.address, `${attr} must reference a resource of the stack`);
    }
    for (const anchor of anchors) {
      if (anchor === undefined) {
        fail(r.address, `${attr} references a resource the plan does not have`);
      } else if (plan.regionOf(anchor) !== region) {
        fail(
          r.address,
          `planned in ${region} but ${attr} is ${anchor.address} in ${plan.regionOf(anchor)}`,
        );
      }
    }
  }
}

/**
 * 2. The subscriptions: one per configured region's queue, each in the topic's region, each
 * with a delivery DLQ there.
 */
function checkSubscriptions(plan: PlanIndex, expect: WiringExpectation, fail: Fail): void {
  const subscribed = new Set<string>(); // queue addresses
  const subscriptions = plan
    .ofType("aws_sns_topic_subscription")
    .filter((sub) => plan.text(sub, "protocol") === "sqs");
  for (const sub of subscriptions) {
    const [topic] = plan.refs(sub, "topic_arn");
    const [queue] = plan.refs(sub, "endpoint");
    if (!topic || topic.type !== "aws_sns_topic" || !queue || queue.type !== "aws_sqs_queue") {
      fail(sub.address, "must connect one topic to one queue");
      continue;
    }
    if (subscribed.has(queue.address)) fail(sub.address, `${queue.address} is subscribed twice`);
    subscribed.add(queue.address);
    const [deliveryDlq] = plan.refs(sub, "redrive_policy");
    if (!deliveryDlq || deliveryDlq.type !== "aws_sqs_queue") {
      fail(sub.address, "has no delivery dead-letter queue");
    } else if (plan.regionOf(deliveryDlq) !== plan.regionOf(sub)) {
      fail(sub.address, "delivery dead-letter queue is not in the topic's region");
    }
  }
  const topics = plan
    .ofType("aws_sns_topic")
    .filter((t) => plan.text(t, "name") === expect.names.topic);
  if (topics.length !== 1) fail("(stack)", `expected one fan-out topic, found ${topics.length}`);
  const queueRegions = consumerQueues(plan, expect)
    .map((q) => plan.regionOf(q))
    .sort();
  if (JSON.stringify(queueRegions) !== JSON.stringify([...expect.regions].sort())) {
    fail("(stack)", `queues in ${queueRegions.join(", ")}; expected one in each configured region`);
  }
}

/** The queues consumers drain (not dead-letter queues), by the configuration's names. */
function consumerQueues(plan: PlanIndex, expect: WiringExpectation): ConfigResource[] {
  const names = new Set(expect.names.queues.map((q) => q.queue));
  return plan.ofType("aws_sqs_queue").filter((q) => names.has(plan.text(q, "name")));
}

/** 3. Every queue consumers drain has exactly one mapping, which reports batch item failures. */
function checkMappings(plan: PlanIndex, expect: WiringExpectation, fail: Fail): void {
  const mappings = plan.ofType("aws_lambda_event_source_mapping");
  for (const queue of consumerQueues(plan, expect)) {
    const own = mappings.filter(
      (m) => plan.refs(m, "event_source_arn")[0]?.address === queue.address,
    );
    if (own.length !== 1) fail(queue.address, `has ${own.length} consumers; expected exactly one`);
  }
  for (const m of mappings) {
    const types = constant(m.expressions?.function_response_types) as string[] | undefined;
    if (!types?.includes("ReportBatchItemFailures")) {
      fail(m.address, "does not report batch item failures");
    }
  }
}

/** 4. Every KMS key encrypts a topic of its own region. */
function checkKeys(plan: PlanIndex, fail: Fail): void {
  for (const key of plan.ofType("aws_kms_key")) {
    const users = plan
      .ofType("aws_sns_topic")
      .filter((t) => plan.refs(t, "kms_master_key_id").some((k) => k?.address === key.address));
    if (users.length === 0) fail(key.address, "encrypts no topic of the stack");
  }
}

/** Checks one stack's plan. An empty list means the wiring is as designed. */
export function checkWiring(planJson: PlanJson, expect: WiringExpectation): WiringProblem[] {
  const problems: WiringProblem[] = [];
  const fail: Fail = (address, problem) => problems.push({ address, problem });
  const plan = new PlanIndex(planJson);
  checkRegions(plan, expect, fail);
  checkSubscriptions(plan, expect, fail);
  checkMappings(plan, expect, fail);
  checkKeys(plan, fail);
  return problems;
}
