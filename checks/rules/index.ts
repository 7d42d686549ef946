/**
 * Named policy rules over synthesized Terraform JSON, one file per service, each rule a named
 * function over the shared stack index (`inspect/stack-index.ts`). Each rule looks at the block
 * types it names and ignores the rest, so new resource types are simply not covered; the IAM
 * rule is the exception: it reads every `aws_iam_policy_document` and every role policy,
 * whoever made it.
 */
import { API_RULES } from "./api";
import { IAM_RULES } from "./iam";
import { LAMBDA_RULES } from "./lambda";
import { Rule } from "./rule";
import { SNS_RULES } from "./sns";
import { SQS_RULES } from "./sqs";
import { TERRAFORM_RULES } from "./terraform";

export { documentUses, statementProblems, WILDCARD_EXCEPTIONS } from "./iam";
export type { PolicyUse, StatementContext, WildcardException } from "./iam";
export { machineContext } from "./rule";
export type { Found, Rule, RuleContext, Violation } from "./rule";

/** Every rule, in the order violations are printed. */
export const RULES: readonly Rule[] = [
  ...SQS_RULES,
  ...SNS_RULES,
  ...LAMBDA_RULES,
  ...IAM_RULES,
  ...API_RULES,
  ...TERRAFORM_RULES,
];
