/**
 * A wiring check over `terraform show -json` of one stack: is every resource planned in the
 * region the design gives it, and is every queue wired to exactly the topic that feeds it?
 *
 * Regions come from each resource's provider (`provider_config_key` -> the provider's
 * `region`), references from the configuration expressions, so the check sees what Terraform
 * will do, not what the TypeScript meant.
 */
import { ConfigResource, Expression, PlanJson } from "./offline-plan";

export interface WiringExpectation {
  /** The stack's home region: topic, active queue, subscriptions and their DLQs live there. */
  readonly homeRegion: string;
  /** Every configured region: one queue of the stack in each. */
  readonly regions: readonly string[];
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
  aws_lambda_function: ["logging_config"],
  aws_cloudwatch_log_group: [], // placed by the function that logs to it (see section 4)
  aws_api_gateway_resource: ["rest_api_id"],
  aws_api_gateway_method: ["rest_api_id"],
  aws_api_gateway_integration: ["rest_api_id", "uri"],
  aws_api_gateway_deployment: ["rest_api_id"],
  aws_api_gateway_stage: ["rest_api_id"],
  aws_api_gateway_method_settings: ["rest_api_id"],
  aws_lambda_permission: ["function_name", "source_arn"],
  aws_cloudwatch_metric_alarm: ["alarm_actions", "ok_actions", "dimensions?"],
  aws_kms_alias: ["target_key_id"],
  aws_kms_key: [], // placed by the topic it encrypts (see section 5)
};

/** Resource types that live in the home region, by design. */
export const HOME_TYPES: readonly string[] = [
  "aws_api_gateway_rest_api",
  "aws_cloudwatch_dashboard",
];

/** Resource types whose name says their region (see `regionFromName`). */
export const NAMED_BY_REGION: readonly string[] = ["aws_sqs_queue", "aws_sns_topic"];

/** Global (region-less) resource types. */
export const GLOBAL_TYPES: readonly string[] = ["aws_iam_role", "aws_iam_role_policy"];

const REGION = "[a-z]{2}(?:-[a-z]+)+-\\d{1,2}";

/**
 * Region the design gives a queue or topic, from its name:
 * `<unit>-topic` and `<unit>-active[-dlq]` and every `-delivery-dlq` are home;
 * `<unit>-replica-<region>[-dlq]` and `<unit>-alarms-<region>` are in `<region>`.
 */
export function regionFromName(name: string, homeRegion: string): string | undefined {
  if (name.endsWith("-delivery-dlq")) return homeRegion;
  const named = new RegExp(`-(?:replica|alarms)-(${REGION})(?:-dlq)?$`).exec(name);
  if (named) return named[1];
  if (/-(?:active|active-dlq|topic)$/.test(name)) return homeRegion;
  return undefined;
}

/** Addresses (`type.name` or `data.type.name`) an expression references, deduplicated. */
export function referencedAddresses(expr: Expression | undefined): string[] {
  const out = new Set<string>();
  const visit = (e: Expression | undefined): void => {
    if (e === undefined || e === null) return;
    if (Array.isArray(e)) {
      for (const block of blocks(e)) for (const inner of Object.values(block)) visit(inner);
      return;
    }
    const refs = (e as { references?: readonly string[] }).references ?? [];
    for (const ref of refs) {
      const parts = ref.split(".");
      const n = parts[0] === "data" ? 3 : 2;
      if (parts.length >= n) out.add(parts.slice(0, n).join("."));
    }
  };
  visit(expr);
  return [...out];
}

function constant(expr: Expression | undefined): unknown {
  return expr !== undefined && !Array.isArray(expr)
    ? (expr as { constant_value?: unknown }).constant_value
    : undefined;
}

function blocks(expr: Expression | undefined): readonly Record<string, Expression>[] {
  return Array.isArray(expr) ? (expr as readonly Record<string, Expression>[]) : [];
}

/** A policy-document data source's statements, as the checks need them. */
interface StatementView {
  readonly effect: string;
  readonly actions: readonly string[];
  readonly conditionVariables: readonly string[];
  readonly conditionValueRefs: readonly string[];
  readonly conditionValues: readonly unknown[];
}

function statementsOf(doc: ConfigResource | undefined): StatementView[] {
  if (!doc || doc.type !== "aws_iam_policy_document") return [];
  return blocks(doc.expressions?.statement).map((s) => ({
    effect: (constant(s.effect) as string | undefined) ?? "Allow",
    actions: (constant(s.actions) as string[] | undefined) ?? [],
    conditionVariables: blocks(s.condition).map((c) => String(constant(c.variable))),
    conditionValueRefs: blocks(s.condition).flatMap((c) => referencedAddresses(c.values)),
    conditionValues: blocks(s.condition).flatMap(
      (c) => (constant(c.values) as unknown[] | undefined) ?? [],
    ),
  }));
}

/** Checks one stack's plan. An empty list means the wiring is as designed. */
export function checkWiring(plan: PlanJson, expect: WiringExpectation): WiringProblem[] {
  const problems: WiringProblem[] = [];
  const fail = (address: string, problem: string) => problems.push({ address, problem });
  const resources = plan.configuration.root_module.resources ?? [];
  const byAddress = new Map(resources.map((r) => [r.address, r]));
  const regionOf = (r: ConfigResource): string | undefined =>
    constant(plan.configuration.provider_config[r.provider_config_key]?.expressions?.region) as
      string | undefined;
  const refs = (r: ConfigResource, attr: string) =>
    referencedAddresses(r.expressions?.[attr]).map((a) => byAddress.get(a));
  const ofType = (type: string) => resources.filter((r) => r.mode === "managed" && r.type === type);

  // 1. Every resource in its region.
  for (const r of resources) {
    const region = regionOf(r);
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
      const name = String(constant(r.expressions?.name));
      const want = regionFromName(name, expect.homeRegion);
      if (want !== region) fail(r.address, `${name} planned in ${region}; expected ${want}`);
    }
    for (const spec of SAME_REGION_AS[r.type] ?? []) {
      const optional = spec.endsWith("?");
      const attr = optional ? spec.slice(0, -1) : spec;
      const anchors = refs(r, attr);
      if (anchors.length === 0 && !optional) {
        fail(r.address, `${attr} must reference a resource of the stack`);
      }
      for (const anchor of anchors) {
        if (anchor === undefined) {
          fail(r.address, `${attr} references a resource the plan does not have`);
        } else if (regionOf(anchor) !== region) {
          fail(
            r.address,
            `planned in ${region} but ${attr} is ${anchor.address} in ${regionOf(anchor)}`,
          );
        }
      }
    }
  }

  // 2. The subscriptions: one per configured region's queue, each in the topic's region.
  const subscriptions = ofType("aws_sns_topic_subscription").filter(
    (sub) => constant(sub.expressions?.protocol) === "sqs",
  );
  const topics = ofType("aws_sns_topic").filter((t) =>
    String(constant(t.expressions?.name)).endsWith("-topic"),
  );
  const fedBy = new Map<string, string>(); // queue address -> topic address
  for (const sub of subscriptions) {
    const [topic] = refs(sub, "topic_arn");
    const [queue] = refs(sub, "endpoint");
    if (!topic || topic.type !== "aws_sns_topic" || !queue || queue.type !== "aws_sqs_queue") {
      fail(sub.address, "must connect one topic to one queue");
      continue;
    }
    if (fedBy.has(queue.address)) fail(sub.address, `${queue.address} is subscribed twice`);
    fedBy.set(queue.address, topic.address);
    const [deliveryDlq] = refs(sub, "redrive_policy");
    if (!deliveryDlq || deliveryDlq.type !== "aws_sqs_queue") {
      fail(sub.address, "has no delivery dead-letter queue");
    } else {
      if (regionOf(deliveryDlq) !== regionOf(sub)) {
        fail(sub.address, "delivery dead-letter queue is not in the topic's region");
      }
      fedBy.set(deliveryDlq.address, topic.address);
    }
  }
  if (topics.length !== 1) fail("(stack)", `expected one fan-out topic, found ${topics.length}`);
  const consumerQueues = ofType("aws_sqs_queue").filter(
    (q) => !String(constant(q.expressions?.name)).endsWith("-dlq"),
  );
  const queueRegions = consumerQueues.map(regionOf).sort();
  if (JSON.stringify(queueRegions) !== JSON.stringify([...expect.regions].sort())) {
    fail("(stack)", `queues in ${queueRegions.join(", ")}; expected one in each configured region`);
  }

  // 3. Every queue: SSE, a dead-letter queue unless it is one, one TLS-only policy that lets
  //    exactly its feeding topic send (and nothing else send, for queues nobody feeds).
  const policies = ofType("aws_sqs_queue_policy");
  for (const queue of ofType("aws_sqs_queue")) {
    const name = String(constant(queue.expressions?.name));
    if (constant(queue.expressions?.sqs_managed_sse_enabled) !== true) {
      fail(queue.address, "has no SSE-SQS encryption");
    }
    if (!name.endsWith("-dlq")) {
      const [dlq] = refs(queue, "redrive_policy");
      if (!dlq || dlq.type !== "aws_sqs_queue") fail(queue.address, "has no dead-letter queue");
      else if (regionOf(dlq) !== regionOf(queue)) {
        fail(queue.address, "dead-letter queue is in another region");
      }
    }
    const own = policies.filter((p) => refs(p, "queue_url")[0]?.address === queue.address);
    if (own.length !== 1) {
      fail(queue.address, `has ${own.length} queue policies; expected exactly one`);
      continue;
    }
    const statements = own[0] ? refs(own[0], "policy").flatMap((d) => statementsOf(d)) : [];
    const tlsOnly = statements.some(
      (s) =>
        s.effect === "Deny" &&
        s.conditionVariables.includes("aws:SecureTransport") &&
        s.conditionValues.includes("false"),
    );
    if (!tlsOnly) fail(queue.address, "policy has no TLS-only deny statement");
    const allows = statements.filter((s) => s.effect === "Allow");
    const topic = fedBy.get(queue.address);
    if (topic === undefined) {
      if (allows.length > 0) fail(queue.address, "nobody feeds it, yet its policy allows access");
    } else {
      const ok =
        allows.length === 1 &&
        JSON.stringify(allows[0].actions) === JSON.stringify(["sqs:SendMessage"]) &&
        allows[0].conditionVariables.includes("aws:SourceArn") &&
        JSON.stringify(allows[0].conditionValueRefs) === JSON.stringify([topic]);
      if (!ok) {
        fail(
          queue.address,
          `policy must allow only sqs:SendMessage from ${topic} by aws:SourceArn`,
        );
      }
    }
  }
  // 4. Functions: each logs to its own log group `/aws/lambda/<name>` in its region; every
  //    queue that is not a dead-letter queue has exactly one consumer mapping.
  const functions = ofType("aws_lambda_function");
  const logGroupUsers = new Map<string, number>();
  for (const fn of functions) {
    const [group] = refs(fn, "logging_config");
    const groupName = group ? constant(group.expressions?.name) : undefined;
    const fnName = constant(fn.expressions?.function_name);
    if (!group || group.type !== "aws_cloudwatch_log_group") {
      fail(fn.address, "has no log group of its own");
    } else {
      if (groupName !== `/aws/lambda/${String(fnName)}`) {
        fail(fn.address, `logs to ${String(groupName)}, not /aws/lambda/${String(fnName)}`);
      }
      logGroupUsers.set(group.address, (logGroupUsers.get(group.address) ?? 0) + 1);
    }
  }
  for (const group of ofType("aws_cloudwatch_log_group")) {
    if (logGroupUsers.get(group.address) !== 1) {
      fail(group.address, "is not the log group of exactly one function");
    }
  }
  const mappings = ofType("aws_lambda_event_source_mapping");
  for (const queue of consumerQueues) {
    const own = mappings.filter((m) => refs(m, "event_source_arn")[0]?.address === queue.address);
    if (own.length !== 1) fail(queue.address, `has ${own.length} consumers; expected exactly one`);
  }
  for (const m of mappings) {
    const types = constant(m.expressions?.function_response_types) as string[] | undefined;
    if (!types?.includes("ReportBatchItemFailures")) {
      fail(m.address, "does not report batch item failures");
    }
  }
  // 5. Every KMS key encrypts a topic of its own region.
  for (const key of ofType("aws_kms_key")) {
    const users = ofType("aws_sns_topic").filter((t) =>
      refs(t, "kms_master_key_id").some((k) => k?.address === key.address),
    );
    if (users.length === 0) fail(key.address, "encrypts no topic of the stack");
  }
  return problems;
}
