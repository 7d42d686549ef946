/**
 * Named policy rules over synthesized Terraform JSON. Each rule looks at the block types it
 * names and ignores the rest, so new resource types are simply not covered; the IAM rule is the
 * exception: it reads every `aws_iam_policy_document` and every role policy, whoever made it.
 */
import { homedir, tmpdir } from "node:os";
import { PROJECT_ROOT } from "../verify/synth";
import {
  asList,
  Block,
  documentStatements,
  literalPart,
  PolicySource,
  soleReference,
  StackIndex,
  Statement,
  stringsIn,
} from "./terraform-json";

/** One broken rule. */
export interface Violation {
  readonly rule: string;
  readonly stack: string;
  /** Terraform address of the offending block, or `(stack)`. */
  readonly address: string;
  readonly why: string;
}

export interface Rule {
  /** Kebab-case name, printed in every violation. */
  readonly id: string;
  /** One sentence: what must hold. */
  readonly description: string;
  readonly check: (stack: StackIndex, context: RuleContext) => Omit<Violation, "rule" | "stack">[];
}

/** Facts about the machine the rules need (for the machine-path rule). */
export interface RuleContext {
  /** Directories whose paths must not appear in the synthesized JSON. */
  readonly machineDirs: readonly string[];
}

/** The project directory, the home directory and the temp directory of this machine. */
export function machineContext(): RuleContext {
  const dirs = [PROJECT_ROOT, homedir(), tmpdir(), process.env.HOME ?? ""].filter(
    (d) => d.length > 1,
  );
  return { machineDirs: [...new Set(dirs)] };
}

type Found = Omit<Violation, "rule" | "stack">;
const found = (block: Block | string, why: string): Found => ({
  address: typeof block === "string" ? block : block.address,
  why,
});

/** The AWS-managed SQS key: SNS cannot be granted use of it, so deliveries would be dropped. */
const AWS_MANAGED_SQS_KEY = /^(alias\/)?aws\/sqs$|:alias\/aws\/sqs$/;

/** The target of a redrive policy (a JSON string whose deadLetterTargetArn is a reference). */
function deadLetterTarget(stack: StackIndex, redrive: unknown): Block | undefined {
  if (typeof redrive !== "string") return undefined;
  try {
    const parsed = JSON.parse(redrive) as { deadLetterTargetArn?: unknown };
    return stack.target(parsed.deadLetterTargetArn, ["arn"]);
  } catch {
    return undefined;
  }
}

/** Queues referenced as `deadLetterTargetArn` by a queue's or a subscription's redrive policy. */
function deadLetterQueues(stack: StackIndex): Set<string> {
  const dlqs = new Set<string>();
  for (const b of [
    ...stack.resources("aws_sqs_queue"),
    ...stack.resources("aws_sns_topic_subscription"),
  ]) {
    const target = deadLetterTarget(stack, b.body.redrive_policy);
    // A queue that redrives to itself does not become a dead-letter queue by it.
    if (target?.type === "aws_sqs_queue" && target.address !== b.address) dlqs.add(target.address);
  }
  return dlqs;
}

/** The queue a queue policy is attached to (`queue_url` = `${aws_sqs_queue.x.url}` or `.id`). */
function policyQueue(stack: StackIndex, policy: Block): Block | undefined {
  const queue = stack.target(policy.body.queue_url, ["url", "id"]);
  return queue?.type === "aws_sqs_queue" ? queue : undefined;
}

/** Every policy of a queue: `aws_sqs_queue_policy` blocks and the queue's own `policy`. */
function queuePolicies(stack: StackIndex, queue: Block): { at: Block; source: PolicySource }[] {
  const list: { at: Block; source: PolicySource }[] = [];
  const own = stack.policy(queue.body.policy);
  if (own) list.push({ at: queue, source: own });
  for (const p of stack.resources("aws_sqs_queue_policy")) {
    const source = stack.policy(p.body.policy);
    if (policyQueue(stack, p)?.address === queue.address && source) list.push({ at: p, source });
  }
  return list;
}

/** Every policy of a topic: `aws_sns_topic_policy` blocks and the topic's own `policy`. */
function topicPolicies(stack: StackIndex, topic: Block): { at: Block; source: PolicySource }[] {
  const list: { at: Block; source: PolicySource }[] = [];
  const own = stack.policy(topic.body.policy);
  if (own) list.push({ at: topic, source: own });
  for (const p of stack.resources("aws_sns_topic_policy")) {
    const target = stack.target(p.body.arn, ["arn", "id"]);
    const source = stack.policy(p.body.policy);
    if (target?.address === topic.address && source) list.push({ at: p, source });
  }
  return list;
}

const statementsOf = (source: PolicySource): readonly Statement[] =>
  source.kind === "opaque" ? [] : source.statements;

const isEveryone = (p: { type: string; identifiers: readonly string[] }) =>
  p.type === "*" || (p.type === "AWS" && p.identifiers.includes("*"));

/** A Deny of every principal when `aws:SecureTransport` is false, covering `action`. */
function isTlsOnlyDeny(s: Statement, service: string, action: string): boolean {
  return (
    s.effect === "Deny" &&
    s.principals.some(isEveryone) &&
    s.actions.some((a) => a === "*" || a === `${service}:*` || a === action) &&
    s.conditions.some(
      (c) =>
        c.test === "Bool" && c.variable === "aws:SecureTransport" && c.values.includes("false"),
    )
  );
}

/** Key of a topic as a policy or subscription names it: its address, or the literal ARN. */
function topicKey(stack: StackIndex, value: unknown): string {
  const topic = stack.target(value, ["arn", "id"]);
  if (topic?.type === "aws_sns_topic") return topic.address;
  return soleReference(value)?.address ?? String(value);
}

/**
 * The topics that may send to each queue: the topic of every subscription whose endpoint is
 * the queue, and of every subscription whose redrive policy dead-letters into it.
 */
function feedingTopics(stack: StackIndex): Map<string, Set<string>> {
  const feeds = new Map<string, Set<string>>();
  const add = (queue: Block | undefined, topic: string) => {
    if (queue?.type !== "aws_sqs_queue") return;
    feeds.set(queue.address, (feeds.get(queue.address) ?? new Set()).add(topic));
  };
  for (const sub of stack.resources("aws_sns_topic_subscription")) {
    const topic = topicKey(stack, sub.body.topic_arn);
    if (sub.body.protocol === "sqs") add(stack.target(sub.body.endpoint, ["arn"]), topic);
    add(deadLetterTarget(stack, sub.body.redrive_policy), topic);
  }
  return feeds;
}

// ---------------------------------------------------------------------------------------------
// IAM: which `*` is allowed, and why.

/** Where a policy document is used. */
export type PolicyUse = "identity" | "trust" | "resource";

/** A statement with what the IAM rule needs to judge it. */
export interface StatementContext {
  readonly use: PolicyUse;
  /** Type of the resource that carries the policy (`aws_iam_role_policy`, `aws_kms_key`...). */
  readonly carrier: string;
  readonly statement: Statement;
}

/** A place where a wildcard is allowed because AWS offers nothing narrower. */
export interface WildcardException {
  readonly id: string;
  /** Why AWS leaves no narrower choice. */
  readonly reason: string;
  /** Whether the exception covers this wildcard action (`kind: "action"`) or resource. */
  readonly covers: (
    kind: "action" | "resource",
    value: string,
    context: StatementContext,
  ) => boolean;
}

const onlyActions = (s: Statement, allowed: readonly string[]) =>
  s.actions.length > 0 && s.actions.every((a) => allowed.includes(a));

/**
 * Every wildcard the IAM rule accepts. Deny statements are not listed: a deny restricts, so the
 * TLS-only denies of queue and topic policies (principal `*`, `sqs:*`) need no exception; nor
 * does a trust policy, which by AWS's design has no Resource element.
 */
export const WILDCARD_EXCEPTIONS: readonly WildcardException[] = [
  {
    id: "log-streams-of-own-log-group",
    reason:
      "Lambda names its log streams at run time; `<log group ARN>:*` (the group's streams) is the narrowest resource logs:CreateLogStream and logs:PutLogEvents accept",
    covers: (kind, value, { use, statement }) =>
      kind === "resource" &&
      use === "identity" &&
      onlyActions(statement, ["logs:CreateLogStream", "logs:PutLogEvents"]) &&
      /^\$\{aws_cloudwatch_log_group\.[A-Za-z0-9_-]+\.arn\}:\*$/.test(value),
  },
  {
    id: "put-metric-data",
    reason:
      "cloudwatch:PutMetricData supports no resource-level permission; AWS offers only the cloudwatch:namespace condition key, which the statement must use",
    covers: (kind, value, { use, statement }) =>
      kind === "resource" &&
      use === "identity" &&
      value === "*" &&
      onlyActions(statement, ["cloudwatch:PutMetricData"]) &&
      statement.conditions.some((c) => c.variable === "cloudwatch:namespace"),
  },
  {
    id: "x-ray-segments",
    reason:
      "xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permission",
    covers: (kind, value, { use, statement }) =>
      kind === "resource" &&
      use === "identity" &&
      value === "*" &&
      onlyActions(statement, ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]),
  },
  {
    id: "key-policy-account-root",
    reason:
      "AWS's default key policy statement: kms:* for the owning account's root delegates the key's use to IAM policies of that account; without it a key can become unmanageable, and every narrower grant then lives in IAM",
    covers: (kind, value, { use, carrier, statement }) =>
      kind === "action" &&
      use === "resource" &&
      carrier === "aws_kms_key" &&
      value === "kms:*" &&
      statement.principals.length > 0 &&
      statement.principals.every(
        (p) =>
          p.type === "AWS" &&
          p.identifiers.every((id) => /^arn:[^:]+:iam::[^:]+:root$|^\d{12}$/.test(id)),
      ),
  },
  {
    id: "key-policy-this-key",
    reason:
      "in a KMS key policy the Resource `*` means the key itself; a key policy cannot name its own ARN",
    covers: (kind, value, { use, carrier }) =>
      kind === "resource" && use === "resource" && carrier === "aws_kms_key" && value === "*",
  },
];

const hasWildcard = (text: string) => /[*?]/.test(literalPart(text));

/** Where each policy document is used, following documents composed into other documents. */
export function documentUses(
  stack: StackIndex,
): Map<string, { use: PolicyUse; carrier: string }[]> {
  const direct = new Map<string, { use: PolicyUse; carrier: string }[]>();
  const composedInto = new Map<string, string[]>();
  for (const doc of stack.dataSources("aws_iam_policy_document")) {
    const uses: { use: PolicyUse; carrier: string }[] = [];
    for (const { block, attribute } of stack.referrers(doc.address)) {
      if (block.type === "aws_iam_policy_document") {
        composedInto.set(doc.address, [...(composedInto.get(doc.address) ?? []), block.address]);
      } else if (block.type === "aws_iam_role" && attribute === "assume_role_policy") {
        uses.push({ use: "trust", carrier: block.type });
      } else if (block.type.startsWith("aws_iam_")) {
        uses.push({ use: "identity", carrier: block.type });
      } else if (block.mode === "managed") {
        uses.push({ use: "resource", carrier: block.type });
      }
    }
    direct.set(doc.address, uses);
  }
  const resolve = (address: string, seen: Set<string>): { use: PolicyUse; carrier: string }[] => {
    if (seen.has(address)) return [];
    seen.add(address);
    return [
      ...(direct.get(address) ?? []),
      ...(composedInto.get(address) ?? []).flatMap((outer) => resolve(outer, seen)),
    ];
  };
  return new Map([...direct.keys()].map((a) => [a, resolve(a, new Set())]));
}

/** Problems of one statement under one use, wildcard exceptions applied. */
export function statementProblems(context: StatementContext): string[] {
  const { use, statement: s } = context;
  const label = `${s.effect} statement${s.sid ? ` ${s.sid}` : ""}`;
  const problems: string[] = [];
  if (s.effect === "Deny") return problems; // a deny restricts; wildcards there narrow nothing
  if (s.notActions.length > 0)
    problems.push(`${label} uses NotAction, which grants everything else`);
  if (s.notResources.length > 0) {
    problems.push(`${label} uses NotResource, which grants everything else`);
  }
  if (s.notPrincipals.length > 0) {
    problems.push(`${label} uses NotPrincipal, which grants everyone else`);
  }
  const excepted = (kind: "action" | "resource", value: string) =>
    WILDCARD_EXCEPTIONS.some((e) => e.covers(kind, value, context));
  if (s.actions.length === 0 && s.notActions.length === 0)
    problems.push(`${label} names no action`);
  for (const action of s.actions) {
    if (hasWildcard(action) && !excepted("action", action)) {
      problems.push(`${label} allows wildcard action ${action}`);
    }
  }
  if (use === "trust") {
    for (const p of s.principals) {
      if (isEveryone(p)) problems.push(`${label} lets anyone assume the role`);
    }
    const assume = s.actions.filter(
      (a) => !/^sts:(AssumeRole|AssumeRoleWithWebIdentity|TagSession)$/.test(a),
    );
    if (assume.length > 0) problems.push(`${label} grants ${assume.join(", ")} in a trust policy`);
    return problems;
  }
  if (use === "resource") {
    if (s.principals.some(isEveryone) && s.conditions.length === 0) {
      problems.push(`${label} grants to every principal without a condition`);
    }
  }
  if (s.resources.length === 0 && s.notResources.length === 0) {
    problems.push(`${label} names no resource`);
  }
  for (const resource of s.resources) {
    if (hasWildcard(resource) && !excepted("resource", resource)) {
      problems.push(`${label} allows wildcard resource ${resource}`);
    }
  }
  return problems;
}

function iamLeastPrivilege(stack: StackIndex): Found[] {
  const out: Found[] = [];
  const uses = documentUses(stack);
  // Every policy document, by where it is used; an unused one is judged as a role policy.
  for (const doc of stack.dataSources("aws_iam_policy_document")) {
    const docUses = uses.get(doc.address) ?? [];
    const judged =
      docUses.length > 0 ? docUses : [{ use: "identity" as const, carrier: "(unused)" }];
    const seen = new Set<string>();
    for (const { use, carrier } of judged) {
      for (const statement of documentStatements(doc.body)) {
        for (const problem of statementProblems({ use, carrier, statement })) {
          const why = `${problem} (${use} policy${carrier === "(unused)" ? ", not attached" : ` of ${carrier}`})`;
          if (!seen.has(why)) out.push(found(doc, why));
          seen.add(why);
        }
      }
    }
  }
  // Identity policies written as JSON, or as something no check can read.
  const identityCarriers: [string, string][] = [
    ["aws_iam_role_policy", "policy"],
    ["aws_iam_policy", "policy"],
    ["aws_iam_user_policy", "policy"],
    ["aws_iam_group_policy", "policy"],
  ];
  for (const [type, attribute] of identityCarriers) {
    for (const b of stack.resources(type)) {
      const source = stack.policy(b.body[attribute]);
      if (!source || source.kind === "opaque") {
        out.push(
          found(
            b,
            `${attribute} is neither an aws_iam_policy_document nor policy JSON; its statements cannot be checked`,
          ),
        );
      } else if (source.kind === "inline") {
        for (const statement of source.statements) {
          for (const problem of statementProblems({ use: "identity", carrier: type, statement })) {
            out.push(found(b, problem));
          }
        }
      }
    }
  }
  for (const role of stack.resources("aws_iam_role")) {
    for (const inline of asList<Record<string, unknown>>(role.body.inline_policy)) {
      const source = stack.policy(inline.policy);
      if (source?.kind !== "document") {
        out.push(
          found(role, "inline_policy is not an aws_iam_policy_document; use aws_iam_role_policy"),
        );
      }
    }
    if (asList(role.body.managed_policy_arns).length > 0) {
      out.push(found(role, "attaches managed policies whose statements this check cannot see"));
    }
  }
  for (const type of ["aws_iam_role_policy_attachment", "aws_iam_policy_attachment"]) {
    for (const b of stack.resources(type)) {
      const own = stack.target(b.body.policy_arn, ["arn", "id"]);
      if (own?.type !== "aws_iam_policy") {
        out.push(
          found(b, `attaches ${String(b.body.policy_arn)}, whose statements this check cannot see`),
        );
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The machine-path rule.

/** Names that start with `/` and are AWS names, not paths of a machine. */
const AWS_SLASH_NAMES: readonly { pattern: RegExp; reason: string }[] = [
  {
    pattern: /^\/aws\/[A-Za-z0-9_./#-]+$/,
    reason: "AWS-reserved log group names (/aws/lambda/<function>)",
  },
];
/** IAM paths (`/`, `/service-role/`) in the `path` attribute of IAM resources. */
const IAM_PATH = /^\/(?:[\w+=,.@-]+\/)*$/;

function noMachinePaths(stack: StackIndex, context: RuleContext): Found[] {
  const out: Found[] = [];
  const check = (address: string, type: string | undefined, value: unknown) => {
    for (const { path, value: text } of stringsIn(value)) {
      const where = path.length > 0 ? path.join(".") : "(value)";
      const dir = context.machineDirs.find((d) => text.includes(d));
      if (dir !== undefined) {
        out.push(found(address, `${where} contains the machine directory ${dir}`));
      } else if (/^[A-Za-z]:[\\/]/.test(text)) {
        out.push(found(address, `${where} is an absolute Windows path: ${text}`));
      } else if (text.startsWith("/")) {
        const awsName = AWS_SLASH_NAMES.some((n) => n.pattern.test(text));
        const iamPath =
          type?.startsWith("aws_iam_") && path[path.length - 1] === "path" && IAM_PATH.test(text);
        if (!awsName && !iamPath) out.push(found(address, `${where} is an absolute path: ${text}`));
      }
    }
  };
  for (const block of stack.blocks) check(block.address, block.type, block.body);
  for (const [key, value] of Object.entries(stack.json)) {
    if (key !== "resource" && key !== "data") check(key, undefined, value);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

/** Every rule, in the order violations are printed. */
export const RULES: readonly Rule[] = [
  {
    id: "sqs-encryption",
    description:
      "Every SQS queue is encrypted at rest: sqs_managed_sse_enabled = true, or a KMS key that is not the AWS-managed alias/aws/sqs (SNS cannot use that key).",
    check: (stack) =>
      stack.resources("aws_sqs_queue").flatMap((q) => {
        const kms = q.body.kms_master_key_id;
        if (typeof kms === "string" && kms !== "") {
          return AWS_MANAGED_SQS_KEY.test(kms)
            ? [
                found(
                  q,
                  `uses the AWS-managed key ${kms}, which SNS cannot be granted; deliveries would be lost`,
                ),
              ]
            : [];
        }
        return q.body.sqs_managed_sse_enabled === true
          ? []
          : [found(q, "has neither sqs_managed_sse_enabled = true nor a KMS key")];
      }),
  },
  {
    id: "sqs-dead-letter-queue",
    description:
      "Every SQS queue that is not itself a dead-letter queue (of a queue or of an SNS subscription) has a redrive policy to another queue.",
    check: (stack) => {
      const dlqs = deadLetterQueues(stack);
      return stack
        .resources("aws_sqs_queue")
        .filter((q) => !dlqs.has(q.address))
        .flatMap((q) => {
          const target = deadLetterTarget(stack, q.body.redrive_policy);
          if (target?.type !== "aws_sqs_queue") {
            return [
              found(q, "has no redrive_policy whose deadLetterTargetArn is a queue of this stack"),
            ];
          }
          return target.address === q.address ? [found(q, "redrives to itself")] : [];
        });
    },
  },
  {
    id: "sqs-tls-only",
    description:
      "Every SQS queue has exactly one queue policy, and it denies every principal all of sqs:* when aws:SecureTransport is false.",
    check: (stack) =>
      stack.resources("aws_sqs_queue").flatMap((q) => {
        const policies = queuePolicies(stack, q);
        if (policies.length !== 1) {
          return [
            found(q, `has ${policies.length} queue policies; expected exactly one (SQS keeps one)`),
          ];
        }
        const [{ at, source }] = policies;
        if (source.kind === "opaque") return [found(at, "policy cannot be read; TLS-only unknown")];
        return statementsOf(source).some((s) => isTlsOnlyDeny(s, "sqs", "sqs:*"))
          ? []
          : [
              found(
                at,
                `policy of ${q.address} has no Deny of sqs:* for aws:SecureTransport = false`,
              ),
            ];
      }),
  },
  {
    id: "sqs-policy-feeding-topic",
    description:
      "Every queue policy allows exactly the topics that feed the queue (subscriptions to it, or dead-lettering into it) to sqs:SendMessage, by aws:SourceArn, and nothing else; a queue no topic feeds grants nothing.",
    check: (stack) => {
      const feeds = feedingTopics(stack);
      const out: Found[] = [];
      for (const q of stack.resources("aws_sqs_queue")) {
        const want = feeds.get(q.address) ?? new Set<string>();
        const policies = queuePolicies(stack, q);
        if (policies.length === 0 && want.size > 0) {
          out.push(found(q, `is fed by ${[...want].join(", ")} but has no policy letting it send`));
        }
        for (const { at, source } of policies) {
          const allowed = new Set<string>();
          for (const s of statementsOf(source).filter((x) => x.effect === "Allow")) {
            const sourceArns = s.conditions.filter(
              (c) =>
                c.variable === "aws:SourceArn" && /^(ArnEquals|ArnLike|StringEquals)$/.test(c.test),
            );
            const shapeOk =
              s.principals.length === 1 &&
              s.principals[0].type === "Service" &&
              s.principals[0].identifiers.join() === "sns.amazonaws.com" &&
              s.actions.join() === "sqs:SendMessage" &&
              s.resources.length === 1 &&
              stack.target(s.resources[0], ["arn"])?.address === q.address &&
              sourceArns.length === 1 &&
              sourceArns[0].values.length > 0;
            if (!shapeOk) {
              out.push(
                found(
                  at,
                  `${s.sid ?? "an Allow statement"} grants more than sqs:SendMessage to sns.amazonaws.com on ${q.address} by aws:SourceArn`,
                ),
              );
              continue;
            }
            for (const v of sourceArns[0].values) allowed.add(topicKey(stack, v));
          }
          const extra = [...allowed].filter((t) => !want.has(t));
          const missing = [...want].filter((t) => !allowed.has(t));
          if (extra.length > 0) {
            out.push(
              found(
                at,
                want.size === 0
                  ? `${q.address} is fed by no topic, yet its policy lets ${extra.join(", ")} send`
                  : `lets ${extra.join(", ")} send to ${q.address}, which only ${[...want].join(", ")} feeds`,
              ),
            );
          }
          if (missing.length > 0) {
            out.push(
              found(at, `does not let ${missing.join(", ")}, which feeds ${q.address}, send`),
            );
          }
        }
      }
      return out;
    },
  },
  {
    id: "sns-encryption",
    description: "Every SNS topic is encrypted at rest: kms_master_key_id is set.",
    check: (stack) =>
      stack
        .resources("aws_sns_topic")
        .filter(
          (t) => typeof t.body.kms_master_key_id !== "string" || t.body.kms_master_key_id === "",
        )
        .map((t) => found(t, "has no kms_master_key_id")),
  },
  {
    id: "sns-tls-only",
    description:
      "Every SNS topic has a topic policy that denies every principal (at least) sns:Publish when aws:SecureTransport is false.",
    check: (stack) =>
      stack.resources("aws_sns_topic").flatMap((t) => {
        const policies = topicPolicies(stack, t);
        if (policies.length === 0) return [found(t, "has no topic policy, so no TLS-only deny")];
        const tls = policies.some(({ source }) =>
          statementsOf(source).some((s) => isTlsOnlyDeny(s, "sns", "sns:Publish")),
        );
        return tls
          ? []
          : [
              found(
                policies[0].at,
                `policy of ${t.address} has no Deny of sns:Publish for aws:SecureTransport = false`,
              ),
            ];
      }),
  },
  {
    id: "sns-subscription-provider",
    description:
      "Every SNS subscription is created with its topic's provider (AWS rejects a cross-region subscription made in the endpoint's region).",
    check: (stack) =>
      stack.resources("aws_sns_topic_subscription").flatMap((sub) => {
        const topic = stack.target(sub.body.topic_arn, ["arn", "id"]);
        if (topic?.type === "aws_sns_topic") {
          return stack.providerKey(topic) === stack.providerKey(sub)
            ? []
            : [
                found(
                  sub,
                  `is created with provider ${stack.providerKey(sub)} but its topic ${topic.address} with ${stack.providerKey(topic)}`,
                ),
              ];
        }
        const arn = /^arn:[^:]+:sns:([^:]+):/.exec(String(sub.body.topic_arn));
        if (arn && !hasWildcard(arn[1])) {
          return arn[1] === stack.regionOf(sub)
            ? []
            : [found(sub, `is created in ${stack.regionOf(sub)} but its topic is in ${arn[1]}`)];
        }
        return [
          found(
            sub,
            `topic_arn ${String(sub.body.topic_arn)} names no topic whose region is known`,
          ),
        ];
      }),
  },
  {
    id: "lambda-runtime",
    description: "Every Lambda function runs nodejs22.x on arm64 only.",
    check: (stack) =>
      stack.resources("aws_lambda_function").flatMap((fn) => {
        const out: Found[] = [];
        if (fn.body.runtime !== "nodejs22.x") {
          out.push(found(fn, `runtime is ${String(fn.body.runtime)}; expected nodejs22.x`));
        }
        const arch = asList(fn.body.architectures).map(String);
        if (arch.join() !== "arm64") {
          out.push(found(fn, `architectures are [${arch.join(", ")}]; expected [arm64]`));
        }
        return out;
      }),
  },
  {
    id: "lambda-log-group",
    description:
      "Every Lambda function has a log group /aws/lambda/<function name> in its own region with retention_in_days set, and logs to it.",
    check: (stack) =>
      stack.resources("aws_lambda_function").flatMap((fn) => {
        const name = fn.body.function_name;
        if (typeof name !== "string" || soleReference(name) || name.includes("${")) {
          return [found(fn, "function_name is not a literal, so its log group cannot be checked")];
        }
        const groupName = `/aws/lambda/${name}`;
        const groups = stack
          .resources("aws_cloudwatch_log_group")
          .filter((g) => g.body.name === groupName && stack.regionOf(g) === stack.regionOf(fn));
        if (groups.length !== 1) {
          return [
            found(
              fn,
              `has ${groups.length} log groups named ${groupName} in ${stack.regionOf(fn)}; expected one`,
            ),
          ];
        }
        const [group] = groups;
        const out: Found[] = [];
        const days = group.body.retention_in_days;
        if (typeof days !== "number" || days <= 0) {
          out.push(
            found(
              group,
              `log group of ${fn.address} has no retention_in_days, so logs are kept forever`,
            ),
          );
        }
        const config = asList<Record<string, unknown>>(fn.body.logging_config)[0];
        const target = config?.log_group;
        if (
          target !== undefined &&
          target !== groupName &&
          stack.target(target)?.address !== group.address
        ) {
          out.push(found(fn, `logs to ${String(target)}, not to its log group ${group.address}`));
        }
        return out;
      }),
  },
  {
    id: "iam-least-privilege",
    description:
      "Every policy document and role policy names specific actions and resources: an Allow uses a wildcard only where WILDCARD_EXCEPTIONS says AWS offers nothing narrower; no NotAction/NotResource/NotPrincipal; trust policies admit named principals only; resource policies grant no one unconditionally.",
    check: (stack) => iamLeastPrivilege(stack),
  },
  {
    id: "api-iam-auth",
    description: "Every REST API's POST /messages (or ANY /messages) uses AWS_IAM authorization.",
    check: (stack) => {
      const out: Found[] = [];
      const messages = stack.resources("aws_api_gateway_method").filter((m) => {
        const resource = stack.target(m.body.resource_id, ["id"]);
        return (
          resource?.body.path_part === "messages" &&
          ["POST", "ANY"].includes(String(m.body.http_method))
        );
      });
      for (const m of messages) {
        if (m.body.authorization !== "AWS_IAM") {
          out.push(
            found(
              m,
              `${String(m.body.http_method)} /messages has authorization ${String(m.body.authorization)}; expected AWS_IAM`,
            ),
          );
        }
      }
      for (const api of stack.resources("aws_api_gateway_rest_api")) {
        const own = messages.filter(
          (m) => stack.target(m.body.rest_api_id, ["id"])?.address === api.address,
        );
        if (!own.some((m) => m.body.http_method === "POST")) {
          out.push(found(api, "has no POST /messages method"));
        }
      }
      return out;
    },
  },
  {
    id: "no-machine-paths",
    description:
      "No string in the synthesized JSON is an absolute path (other than AWS names such as /aws/lambda/...) or contains the project, home or temp directory of the machine that synthesized it.",
    check: noMachinePaths,
  },
  {
    id: "explicit-provider",
    description:
      "Every AWS resource and data source names its provider (alias = region) explicitly.",
    check: (stack) =>
      stack.blocks
        .filter((b) => b.type.startsWith("aws_") && typeof b.body.provider !== "string")
        .map((b) => found(b, "names no provider, so its region is the default provider's")),
  },
];

/** References a rule set makes to block types, for docs: every rule id. */
export const RULE_IDS: readonly string[] = RULES.map((r) => r.id);
