import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { Construct } from "constructs";
import type { FifoConfig } from "../config/config";
import type { SubscriptionFilter } from "../config/filter-policy";
import { DEAD_LETTER_RETENTION_SECONDS, QUEUE_MAX_MESSAGE_BYTES, QUEUE_SSE_SQS } from "./defaults";
import { fifoQueueArgs } from "./fifo";
import { allowTopicToSend } from "./policy";
import { providerOf, regionOf } from "./providers";
import { TlsOnlyQueuePolicy } from "./queue-policy";

export interface QueueSubscriptionProps {
  /** The topic that feeds the queue. */
  readonly topic: SnsTopic;
  /** The queue, in the topic's region or any other. */
  readonly queue: SqsQueue;
  /** Physical name of the subscription's dead-letter queue (created in the topic's region). */
  readonly deliveryDeadLetterQueueName: string;
  /**
   * How long the subscription's dead-letter queue keeps a message, in seconds.
   * @default - 14 days
   */
  readonly deliveryDeadLetterRetentionSeconds?: number;
  /**
   * SNS filter policy and its scope: only matching messages reach the queue.
   * @default - none: every message reaches the queue
   */
  readonly filter?: SubscriptionFilter;
  /**
   * Raw message delivery: the queue gets the published body and message attributes as they
   * are, without the SNS envelope (and so without its `Timestamp`).
   * @default - false
   */
  readonly rawMessageDelivery?: boolean;
  /**
   * The topic is a FIFO topic: the subscription's dead-letter queue is a FIFO queue (SNS
   * requires it), with these settings; its name must end in `.fifo`.
   * @default - a standard topic and dead-letter queue
   */
  readonly fifo?: FifoConfig;
}

/**
 * Subscribes a queue to a topic, across regions if need be, and writes everything the
 * delivery needs, so nobody can create one part without the others:
 *
 * - the subscription, created with the **topic's** provider (AWS rejects a cross-region
 *   subscription created in the queue's region), raw delivery off by default so consumers see
 *   the SNS envelope and its `Timestamp`, and the filter policy, when there is one;
 * - the queue's policy: `sqs:SendMessage` for SNS (`sns.amazonaws.com`, or the regional
 *   principal an opt-in region needs: `config/opt-in-regions.ts`) only with `aws:SourceArn`
 *   equal to this topic, and TLS only;
 * - a dead-letter queue for deliveries SNS gives up on (SNS requires it in the topic's
 *   region), with the same kind of policy.
 */
export class QueueSubscription extends Construct {
  /** The subscription. */
  public readonly subscription: SnsTopicSubscription;
  /** The filter of the subscription; `undefined` when every message is delivered. */
  public readonly filter?: SubscriptionFilter;
  /** Whether SNS delivers the raw body (no envelope). */
  public readonly rawMessageDelivery: boolean;
  /** Messages SNS failed to deliver to the queue. */
  public readonly deliveryDeadLetterQueue: SqsQueue;

  constructor(scope: Construct, id: string, props: QueueSubscriptionProps) {
    super(scope, id);
    const { topic, queue } = props;
    const topicProvider = providerOf(topic);
    const topicRegion = regionOf(topic);
    this.filter = props.filter;
    this.rawMessageDelivery = props.rawMessageDelivery ?? false;

    this.deliveryDeadLetterQueue = new SqsQueue(this, "delivery-dead-letter-queue", {
      provider: topicProvider,
      name: props.deliveryDeadLetterQueueName,
      messageRetentionSeconds:
        props.deliveryDeadLetterRetentionSeconds ?? DEAD_LETTER_RETENTION_SECONDS,
      maxMessageSize: QUEUE_MAX_MESSAGE_BYTES,
      sqsManagedSseEnabled: QUEUE_SSE_SQS,
      ...fifoQueueArgs(props.fifo),
    });
    const deliveryPolicy = new TlsOnlyQueuePolicy(this, "delivery-dead-letter-policy", {
      queue: this.deliveryDeadLetterQueue,
      allow: [
        allowTopicToSend(this.deliveryDeadLetterQueue.arn, topic.arn, {
          topic: topicRegion,
          queue: topicRegion,
        }),
      ],
    });
    const queuePolicy = new TlsOnlyQueuePolicy(this, "queue-policy", {
      queue,
      allow: [
        allowTopicToSend(queue.arn, topic.arn, { topic: topicRegion, queue: regionOf(queue) }),
      ],
    });

    this.subscription = new SnsTopicSubscription(this, "subscription", {
      provider: topicProvider,
      topicArn: topic.arn,
      protocol: "sqs",
      endpoint: queue.arn,
      rawMessageDelivery: this.rawMessageDelivery,
      ...(props.filter && {
        filterPolicy: JSON.stringify(props.filter.policy),
        filterPolicyScope: props.filter.scope,
      }),
      redrivePolicy: JSON.stringify({ deadLetterTargetArn: this.deliveryDeadLetterQueue.arn }),
      // Deliveries made before the policies exist would be refused and retried.
      dependsOn: [queuePolicy.policy, deliveryPolicy.policy],
    });
  }
}
