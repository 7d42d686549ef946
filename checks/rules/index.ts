/**
 * Named policy rules over synthesized Terraform JSON, one file per service, each rule a named
 * function over the shared stack index (`inspect/stack-index.ts`). Each rule looks at the block
 * types it names and ignores the rest, so new resource types are simply not covered; the IAM
 * rule is the exception: it reads every `aws_iam_policy_document` and every role policy,
 * whoever made it.
 */
import { apiIamAuth } from "./api";
import { dynamodbEncryptionAndRecovery } from "./dynamodb";
import { iamLeastPrivilege } from "./iam";
import { lambdaLogGroup, lambdaRuntime } from "./lambda";
import { snsEncryption, snsSubscriptionProvider, snsTlsOnly } from "./sns";
import { sqsDeadLetterQueue, sqsEncryption, sqsPolicyFeedingTopic, sqsTlsOnly } from "./sqs";
import { Rule } from "./rule";
import { explicitProvider, noMachinePaths } from "./terraform";

export { documentUses, statementProblems, WILDCARD_EXCEPTIONS } from "./iam";
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
    id: "iam-least-privilege",
    description:
      "Every policy document and role policy names specific actions and resources: an Allow uses a wildcard only where WILDCARD_EXCEPTIONS says AWS offers nothing narrower; no NotAction/NotResource/NotPrincipal; trust policies admit named principals only; resource policies grant no one unconditionally.",
    check: iamLeastPrivilege,
  },
  {
    id: "api-iam-auth",
    description: "Every REST API's POST /messages (or ANY /messages) uses AWS_IAM authorization.",
    check: apiIamAuth,
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
