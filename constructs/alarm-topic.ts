import { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition";
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicPolicy } from "@cdktf/provider-aws/lib/sns-topic-policy";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription";
import { Construct } from "constructs";
import { ALARM_KEY_DELETION_WINDOW_DAYS, TOPIC_ACTIONS, TOPIC_SIGNATURE_VERSION } from "./defaults";
import { denyInsecureTransport, policyDocument } from "./policy";

export interface AlarmTopicProps {
  /** Provider of the region whose alarms notify this topic. */
  readonly provider: AwsProvider;
  /** Physical name of the topic; its key's alias is `alias/<name>`. */
  readonly name: string;
  /**
   * Only alarms whose names start with this may publish and use the key (`<prefix>-<stack>/`).
   * It must end in a character no other unit's name has there, or it matches their alarms too.
   */
  readonly alarmNamePrefix: string;
  /** The account id, as a reference to a resource of the stack (no data source calls AWS). */
  readonly accountId: string;
  /**
   * Address subscribed to the topic.
   * @default - no subscription
   */
  readonly email?: string;
}

/**
 * The SNS topic a region's alarms notify, encrypted with a customer managed KMS key because
 * CloudWatch cannot use the AWS-managed SNS key. The key lets CloudWatch encrypt and the topic
 * lets it publish, both only for this unit's alarms of this account and region; the topic over
 * TLS only.
 */
export class AlarmTopic extends Construct {
  /** The topic. */
  public readonly topic: SnsTopic;
  /** The key that encrypts it. */
  public readonly key: KmsKey;

  constructor(scope: Construct, id: string, props: AlarmTopicProps) {
    super(scope, id);
    const { provider, accountId } = props;
    const partition = new DataAwsPartition(this, "partition", { provider }).partition;
    const region = provider.region;
    // CloudWatch acts for this unit's alarms of this account and region only: on the key (to
    // encrypt the notification) and on the topic (to publish it).
    const fromUnitAlarms = [
      {
        test: "ArnLike",
        variable: "aws:SourceArn",
        values: [
          `arn:${partition}:cloudwatch:${region}:${accountId}:alarm:${props.alarmNamePrefix}*`,
        ],
      },
      { test: "StringEquals", variable: "aws:SourceAccount", values: [accountId] },
    ];

    const keyPolicy = policyDocument(this, "key-policy", provider, [
      {
        // A key policy's "*" resource is the key itself; the account administers it via IAM.
        sid: "AccountAdministersKey",
        effect: "Allow",
        principals: [{ type: "AWS", identifiers: [`arn:${partition}:iam::${accountId}:root`] }],
        actions: ["kms:*"],
        resources: ["*"],
      },
      {
        sid: "CloudWatchAlarmsEncrypt",
        effect: "Allow",
        principals: [{ type: "Service", identifiers: ["cloudwatch.amazonaws.com"] }],
        actions: ["kms:Decrypt", "kms:GenerateDataKey"],
        resources: ["*"],
        condition: fromUnitAlarms,
      },
    ]);
    this.key = new KmsKey(this, "key", {
      provider,
      description: `Encrypts the alarm topic ${props.name}`,
      enableKeyRotation: true,
      deletionWindowInDays: ALARM_KEY_DELETION_WINDOW_DAYS,
      policy: keyPolicy.json,
    });
    new KmsAlias(this, "key-alias", {
      provider,
      name: `alias/${props.name}`,
      targetKeyId: this.key.keyId,
    });

    this.topic = new SnsTopic(this, "topic", {
      provider,
      name: props.name,
      kmsMasterKeyId: this.key.arn,
      signatureVersion: TOPIC_SIGNATURE_VERSION,
    });
    const topicPolicy = policyDocument(this, "topic-policy", provider, [
      {
        sid: "AllowUnitAlarms",
        effect: "Allow",
        principals: [{ type: "Service", identifiers: ["cloudwatch.amazonaws.com"] }],
        actions: ["sns:Publish"],
        resources: [this.topic.arn],
        condition: fromUnitAlarms,
      },
      denyInsecureTransport(TOPIC_ACTIONS, [this.topic.arn]),
    ]);
    new SnsTopicPolicy(this, "policy", { provider, arn: this.topic.arn, policy: topicPolicy.json });

    if (props.email !== undefined) {
      new SnsTopicSubscription(this, "email", {
        provider,
        topicArn: this.topic.arn,
        protocol: "email",
        endpoint: props.email,
      });
    }
  }
}
