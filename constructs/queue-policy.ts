import { DataAwsIamPolicyDocumentStatement } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { SqsQueuePolicy } from "@cdktf/provider-aws/lib/sqs-queue-policy";
import { Construct } from "constructs";
import { denyInsecureTransport, policyDocument } from "./policy";
import { providerOf } from "./providers";

export interface TlsOnlyQueuePolicyProps {
  /** The queue the policy is attached to (a queue has exactly one policy). */
  readonly queue: SqsQueue;
  /**
   * Statements that grant access to the queue.
   * @default - none: only the queue's account, through IAM, can use it
   */
  readonly allow?: readonly DataAwsIamPolicyDocumentStatement[];
}

/**
 * The one policy of a queue: the given grants plus a deny of every non-TLS request.
 * Created with the queue's own provider, so it always lands in the queue's region.
 */
export class TlsOnlyQueuePolicy extends Construct {
  /** The attached policy. */
  public readonly policy: SqsQueuePolicy;

  constructor(scope: Construct, id: string, props: TlsOnlyQueuePolicyProps) {
    super(scope, id);
    const provider = providerOf(props.queue);
    const document = policyDocument(this, "document", provider, [
      ...(props.allow ?? []),
      denyInsecureTransport(["sqs:*"], [props.queue.arn]),
    ]);
    this.policy = new SqsQueuePolicy(this, "policy", {
      provider,
      queueUrl: props.queue.url,
      policy: document.json,
    });
  }
}
