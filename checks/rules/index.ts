/**
 * Named policy rules over synthesized Terraform JSON, one file per service (and one,
 * `resource-policy.ts`, for the resource policies every service has), each rule a named
 * function over the shared stack index (`inspect/stack-index.ts`). Each rule looks at the block
 * types it names and ignores the rest, so new resource types are simply not covered; the IAM
 * rule is the exception: it reads every `aws_iam_policy_document` and every role policy,
 * whoever made it. The resource-policy rules read every type of RESOURCE_POLICY_CARRIERS.
 */
import { apiIamAuth, apiNoAuthOnlyHealth } from "./api";
import { dynamodbEncryptionAndRecovery } from "./dynamodb";
import { iamLeastPrivilege } from "./iam";
import { lambdaLogGroup, lambdaPermissionScoped, lambdaRuntime } from "./lambda";
import { resourcePolicyDocument, resourcePolicyPrincipals } from "./resource-policy";
import { snsEncryption, snsSubscriptionProvider, snsTlsOnly } from "./sns";
import {
  sqsDeadLetterQueue,
  sqsEncryption,
  sqsPolicyFeedingTopic,
  sqsRedriveAllowByQueue,
  sqsTlsOnly,
} from "./sqs";
import { Rule } from "./rule";
import { explicitProvider, noMachinePaths } from "./terraform";

export { documentUses, statementProblems, WILDCARD_EXCEPTIONS } from "./iam";
export { NARROWING_CONDITION_KEYS } from "./policy";
export { RESOURCE_POLICY_CARRIERS } from "./resource-policy";
export type { PolicyUse, StatementContext, WildcardException } from "./iam";
export { machineContext } from "./rule";
export type { Found, Rule, RuleContext, Violation } from "./rule";

/** Every rule, in the order violations are printed. */
export const RULES: readonly Rule[] = [
  {
    id: "sqs-encryption",
    description:
      "Every SQS queue is encrypted at rest: sqs_managed_sse_enabled = true, or a KMS key that is not the AWS-managed alias/aws/sqs (SNS cannot use that key).",
    check: sqsEncryption,
  },
  {
    id: "sqs-dead-letter-queue",
    description:
      "Every SQS queue that is not itself a dead-letter queue (of a queue or of an SNS subscription) has a redrive policy to another queue.",
    check: sqsDeadLetterQueue,
  },
  {
    id: "sqs-tls-only",
    description:
      "Every SQS queue has exactly one queue policy, and it denies every principal all of sqs:* when aws:SecureTransport is false.",
    check: sqsTlsOnly,
  },
  {
    id: "sqs-policy-feeding-topic",
    description:
      "Every queue policy allows exactly the topics that feed the queue (subscriptions to it, or dead-lettering into it) to sqs:SendMessage, by aws:SourceArn, and nothing else; a queue no topic feeds grants nothing.",
    check: sqsPolicyFeedingTopic,
  },
  {
    id: "sqs-redrive-allow-by-queue",
    description:
      'Every redrive allow policy is "byQueue" naming its source queues without wildcards, or "denyAll"; never "allowAll", which lets any queue of the account dead-letter into it.',
    check: sqsRedriveAllowByQueue,
  },
  {
    id: "sns-encryption",
    description: "Every SNS topic is encrypted at rest: kms_master_key_id is set.",
    check: snsEncryption,
  },
  {
    id: "sns-tls-only",
    description:
      "Every SNS topic has a topic policy that denies every principal (at least) sns:Publish when aws:SecureTransport is false.",
    check: snsTlsOnly,
  },
  {
    id: "sns-subscription-provider",
    description:
      "Every SNS subscription is created with its topic's provider (AWS rejects a cross-region subscription made in the endpoint's region).",
    check: snsSubscriptionProvider,
  },
  {
    id: "dynamodb-encryption-recovery",
    description:
      "Every DynamoDB table is encrypted with KMS (server_side_encryption enabled) and has point-in-time recovery on, and so does each of its replicas.",
    check: dynamodbEncryptionAndRecovery,
  },
  {
    id: "lambda-runtime",
    description: "Every Lambda function runs nodejs22.x on arm64 only.",
    check: lambdaRuntime,
  },
  {
    id: "lambda-log-group",
    description:
      "Every Lambda function has a log group /aws/lambda/<function name> in its own region with retention_in_days set, and logs to it.",
    check: lambdaLogGroup,
  },
  {
    id: "lambda-permission-scoped",
    description:
      "Every Lambda permission names a service principal (or this stack's account) and a source_arn without wildcards, except after `<this stack's REST API execution_arn>/` (any stage, method or path of that one API).",
    check: lambdaPermissionScoped,
  },
  {
    id: "iam-least-privilege",
    description:
      "Every policy document and role policy names specific actions and resources: an Allow uses a wildcard only where WILDCARD_EXCEPTIONS says AWS offers nothing narrower; no NotAction/NotResource/NotPrincipal; trust policies admit named principals only; resource policies grant everyone only under a condition of NARROWING_CONDITION_KEYS (aws:SecureTransport narrows nothing).",
    check: iamLeastPrivilege,
  },
  {
    id: "resource-policy-document",
    description:
      "Every resource policy (topic, queue, key, bucket... policies) is an aws_iam_policy_document data source, not inline JSON or an expression the checks cannot read.",
    check: resourcePolicyDocument,
  },
  {
    id: "resource-policy-principals",
    description:
      "Every Allow of a resource policy grants AWS principals of this stack's account only (written as a topic's owner reference; a literal account id cannot be told from a foreign one), and service principals only under aws:SourceArn or aws:SourceAccount; account conditions name this account.",
    check: resourcePolicyPrincipals,
  },
  {
    id: "api-iam-auth",
    description: "Every REST API's POST /messages (or ANY /messages) uses AWS_IAM authorization.",
    check: apiIamAuth,
  },
  {
    id: "api-no-auth-only-health",
    description:
      "No API Gateway method has authorization NONE except the routes lambdas/producer-api/routes.ts declares so (GET /health).",
    check: apiNoAuthOnlyHealth,
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
    check: explicitProvider,
  },
];
