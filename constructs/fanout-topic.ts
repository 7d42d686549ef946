import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicPolicy } from "@cdktf/provider-aws/lib/sns-topic-policy";
import { Construct } from "constructs";
import type { FifoConfig } from "../config/config";
import { TOPIC_ACTIONS, TOPIC_KMS_KEY, TOPIC_SIGNATURE_VERSION } from "./defaults";
import { fifoTopicArgs } from "./fifo";
import { denyInsecureTransport, policyDocument } from "./policy";

export interface FanoutTopicProps {
  /** Provider of the topic's (home) region. */
  readonly provider: AwsProvider;
  /** Physical name of the topic (ending in `.fifo` for a FIFO topic). */
  readonly name: string;
  /**
   * Makes the topic a FIFO topic with these deduplication and throughput settings.
   * @default - a standard topic
   */
  readonly fifo?: FifoConfig;
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
      ...fifoTopicArgs(props.fifo),
    });
    const document = policyDocument(this, "policy-document", provider, [
      denyInsecureTransport(TOPIC_ACTIONS, [this.topic.arn]),
    ]);
    new SnsTopicPolicy(this, "policy", { provider, arn: this.topic.arn, policy: document.json });
  }
}
