import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicPolicy } from "@cdktf/provider-aws/lib/sns-topic-policy";
import { Construct } from "constructs";
import { TOPIC_ACTIONS, TOPIC_KMS_KEY, TOPIC_SIGNATURE_VERSION } from "./defaults";
import { denyInsecureTransport, policyDocument } from "./policy";

export interface FanoutTopicProps {
  /** Provider of the topic's (home) region. */
  readonly provider: AwsProvider;
  /** Physical name of the topic. */
  readonly name: string;
}

/**
 * The SNS topic of a fan-out unit: encrypted at rest with the AWS-managed SNS key, deliveries
 * signed with SHA256, and a policy that denies every non-TLS request.
 */
export class FanoutTopic extends Construct {
  /** The topic. */
  public readonly topic: SnsTopic;

  constructor(scope: Construct, id: string, props: FanoutTopicProps) {
    super(scope, id);
    const { provider } = props;
    this.topic = new SnsTopic(this, "topic", {
      provider,
      name: props.name,
      kmsMasterKeyId: TOPIC_KMS_KEY,
      signatureVersion: TOPIC_SIGNATURE_VERSION,
    });
    const document = policyDocument(this, "policy-document", provider, [
      denyInsecureTransport(TOPIC_ACTIONS, [this.topic.arn]),
    ]);
    new SnsTopicPolicy(this, "policy", { provider, arn: this.topic.arn, policy: document.json });
  }
}
