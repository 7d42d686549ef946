import {
  DataAwsIamPolicyDocument,
  DataAwsIamPolicyDocumentStatement,
} from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { Construct } from "constructs";

/**
 * A statement that denies `actions` on `resources` to everyone who does not call over TLS.
 */
export function denyInsecureTransport(
  actions: readonly string[],
  resources: readonly string[],
): DataAwsIamPolicyDocumentStatement {
  return {
    sid: "DenyInsecureTransport",
    effect: "Deny",
    principals: [{ type: "*", identifiers: ["*"] }],
    actions: [...actions],
    resources: [...resources],
    condition: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
  };
}

/**
 * A statement that lets the SNS topic `topicArn`, and no other, send to the queue `queueArn`.
 */
export function allowTopicToSend(
  queueArn: string,
  topicArn: string,
): DataAwsIamPolicyDocumentStatement {
  return {
    sid: "AllowTopicSendMessage",
    effect: "Allow",
    principals: [{ type: "Service", identifiers: ["sns.amazonaws.com"] }],
    actions: ["sqs:SendMessage"],
    resources: [queueArn],
    condition: [{ test: "ArnEquals", variable: "aws:SourceArn", values: [topicArn] }],
  };
}

/**
 * A policy document, rendered by the AWS provider without calling AWS
 * (`aws_iam_policy_document` is computed locally, so plans work offline).
 */
export function policyDocument(
  scope: Construct,
  id: string,
  provider: AwsProvider,
  statements: readonly DataAwsIamPolicyDocumentStatement[],
): DataAwsIamPolicyDocument {
  return new DataAwsIamPolicyDocument(scope, id, { provider, statement: [...statements] });
}
