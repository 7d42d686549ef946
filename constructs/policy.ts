import {
  DataAwsIamPolicyDocument,
  DataAwsIamPolicyDocumentStatement,
} from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { Construct } from "constructs";
import { snsPrincipalsFor } from "../config/opt-in-regions";

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
 * A statement that lets the SNS topic `topicArn`, and no other, send to the queue `queueArn`,
 * as the service principals SNS delivers with between the two regions (`snsPrincipalsFor`:
 * `sns.amazonaws.com`, or a regional one where an opt-in region is involved).
 */
export function allowTopicToSend(
  queueArn: string,
  topicArn: string,
  regions: { readonly topic: string; readonly queue: string },
): DataAwsIamPolicyDocumentStatement {
  return {
    sid: "AllowTopicSendMessage",
    effect: "Allow",
    principals: [{ type: "Service", identifiers: snsPrincipalsFor(regions.topic, regions.queue) }],
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
