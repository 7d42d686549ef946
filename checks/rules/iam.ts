/**
 * The IAM rule: which `*` is allowed, and why. It reads every `aws_iam_policy_document` and
 * every role policy, whoever made it.
 */
import { StackIndex } from "../../inspect/stack-index";
import { documentStatements, Statement } from "../../inspect/statements";
import { asList } from "../../inspect/terraform-json";
import { hasWildcard, isEveryone, narrowingConditions } from "./policy";
import { resourcePolicies } from "./resource-policy";
import { Found, found } from "./rule";

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
  if (use === "resource" && s.principals.some(isEveryone) && narrowingConditions(s).length === 0) {
    problems.push(
      s.conditions.length === 0
        ? `${label} grants to every principal without a condition`
        : `${label} grants to every principal with no condition that narrows who may act (${s.conditions.map((c) => c.variable).join(", ")} do not; see NARROWING_CONDITION_KEYS)`,
    );
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

export function iamLeastPrivilege(stack: StackIndex): Found[] {
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
  // Resource policies written as JSON (resource-policy-document flags the form; this, the grant).
  for (const { at, source } of resourcePolicies(stack)) {
    if (source.kind !== "inline") continue;
    for (const statement of source.statements) {
      for (const problem of statementProblems({ use: "resource", carrier: at.type, statement })) {
        out.push(found(at, problem));
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
