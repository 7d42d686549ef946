/**
 * Resource-policy rules, over every block that carries one (topic and queue policies, key
 * policies, bucket policies...): each is a policy document the checks can read, and it grants
 * only to this stack's account, or to a service acting for a named resource or this account.
 */
import { Block } from "../../inspect/terraform-json";
import { StackIndex } from "../../inspect/stack-index";
import { PolicySource, Statement } from "../../inspect/statements";
import {
  accountOf,
  ARN_CONDITION_KEYS,
  arnPatternNarrows,
  isEveryone,
  narrowingConditions,
  narrowingKey,
} from "./policy";
import { Found, found } from "./rule";

/** Block types that carry a resource policy, and the attribute that holds it. */
export const RESOURCE_POLICY_CARRIERS: readonly (readonly [type: string, attribute: string])[] = [
  ["aws_sns_topic_policy", "policy"],
  ["aws_sns_topic", "policy"],
  ["aws_sqs_queue_policy", "policy"],
  ["aws_sqs_queue", "policy"],
  ["aws_kms_key", "policy"],
  ["aws_kms_key_policy", "policy"],
  ["aws_s3_bucket_policy", "policy"],
  ["aws_secretsmanager_secret_policy", "policy"],
  ["aws_ecr_repository_policy", "policy"],
  ["aws_api_gateway_rest_api", "policy"],
  ["aws_api_gateway_rest_api_policy", "policy"],
  ["aws_cloudwatch_event_bus_policy", "policy"],
  ["aws_cloudwatch_log_resource_policy", "policy_document"],
];

/** A resource policy as found: the block carrying it, the attribute, and what it holds. */
export interface ResourcePolicy {
  readonly at: Block;
  readonly attribute: string;
  readonly source: PolicySource;
}

/** Every resource policy of a stack (blocks whose policy attribute is unset carry none). */
export function resourcePolicies(stack: StackIndex): ResourcePolicy[] {
  return RESOURCE_POLICY_CARRIERS.flatMap(([type, attribute]) =>
    stack.resources(type).flatMap((at) => {
      const source = stack.policy(at.body[attribute]);
      return source ? [{ at, attribute, source }] : [];
    }),
  );
}

export function resourcePolicyDocument(stack: StackIndex): Found[] {
  return resourcePolicies(stack).flatMap(({ at, attribute, source }) => {
    if (source.kind === "document") return [];
    return [
      found(
        at,
        source.kind === "inline"
          ? `${attribute} is inline JSON; write it as an aws_iam_policy_document data source, which the checks read`
          : `${attribute} is neither an aws_iam_policy_document nor policy JSON; its statements cannot be checked`,
      ),
    ];
  });
}

/** Condition keys by which a service principal is told whom it acts for. */
const SOURCE_KEYS = new Set(["aws:SourceArn", "aws:SourceAccount", "aws:SourceOwner"]);
/** Condition keys whose values are accounts. */
const ACCOUNT_KEYS = new Set(["aws:SourceAccount", "aws:SourceOwner", "aws:PrincipalAccount"]);

/** Problems of one Allow statement of a resource policy, given the stack's own accounts. */
export function principalProblems(s: Statement, own: ReadonlySet<string>): string[] {
  if (s.effect !== "Allow") return [];
  const label = `Allow statement${s.sid ? ` ${s.sid}` : ""}`;
  const problems: string[] = [];
  const narrowing = narrowingConditions(s);
  const foreign = (account: string | undefined) => account === undefined || !own.has(account);
  for (const p of s.principals.filter((x) => !isEveryone(x))) {
    if (p.type === "Service") {
      const bySource = narrowing.some((c) => SOURCE_KEYS.has(narrowingKey(c.variable) ?? ""));
      if (!bySource) {
        problems.push(
          `${label} grants ${p.identifiers.join(", ")} without aws:SourceArn or aws:SourceAccount, so the service may act for anyone's resources`,
        );
      }
    } else if (p.type === "AWS") {
      for (const id of p.identifiers.filter((x) => foreign(accountOf(x)))) {
        problems.push(
          `${label} grants ${id}, which is not this stack's account (name it by a topic's owner: \${aws_sns_topic.<id>.owner})`,
        );
      }
    } else {
      problems.push(`${label} grants ${p.type} principals, which are no account of this stack`);
    }
  }
  for (const c of s.conditions.filter((x) =>
    ARN_CONDITION_KEYS.has(narrowingKey(x.variable) ?? ""),
  )) {
    for (const v of c.values.filter((x) => !arnPatternNarrows(x))) {
      problems.push(
        `${label} matches ${c.variable} ${v}, whose wildcard reaches past one prefix (a wildcard must follow a / or :)`,
      );
    }
  }
  for (const c of s.conditions.filter((x) => ACCOUNT_KEYS.has(narrowingKey(x.variable) ?? ""))) {
    for (const v of c.values.filter((x) => foreign(accountOf(x)))) {
      problems.push(`${label} admits ${c.variable} ${v}, which is not this stack's account`);
    }
  }
  return problems;
}

export function resourcePolicyPrincipals(stack: StackIndex): Found[] {
  const own = stack.ownAccounts();
  return resourcePolicies(stack).flatMap(({ at, source }) =>
    source.kind === "opaque"
      ? []
      : source.statements.flatMap((s) => principalProblems(s, own).map((why) => found(at, why))),
  );
}
