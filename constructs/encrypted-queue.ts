import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { SqsQueueRedriveAllowPolicy } from "@cdktf/provider-aws/lib/sqs-queue-redrive-allow-policy";
import { Construct } from "constructs";
import type { FifoConfig } from "../config/config";
import {
  DEAD_LETTER_RETENTION_SECONDS,
  MAX_RECEIVE_COUNT,
  QUEUE_MAX_MESSAGE_BYTES,
  QUEUE_RETENTION_SECONDS,
  QUEUE_SSE_SQS,
  VISIBILITY_TIMEOUT_SECONDS,
} from "./defaults";
import { fifoQueueArgs } from "./fifo";
import { TlsOnlyQueuePolicy } from "./queue-policy";

export interface EncryptedQueueProps {
  /** Provider of the region the queue and its dead-letter queue live in. */
  readonly provider: AwsProvider;
  /** Physical name of the queue. */
  readonly name: string;
  /**
   * Physical name of the dead-letter queue.
   * @default - `<name>-dlq`
   */
  readonly deadLetterQueueName?: string;
  /**
   * Makes the queue and its dead-letter queue FIFO queues (names must end in `.fifo`).
   * @default - standard queues
   */
  readonly fifo?: FifoConfig;
  /**
   * How long the queue keeps a message, in seconds.
   * @default - 4 days
   */
  readonly retentionSeconds?: number;
  /**
   * How long a received message stays invisible, in seconds.
   * @default - 30 seconds
   */
  readonly visibilityTimeoutSeconds?: number;
  /**
   * How long the dead-letter queue keeps a message, in seconds. Must exceed
   * `retentionSeconds`: a moved message keeps its original enqueue time.
   * @default - 14 days
   */
  readonly deadLetterRetentionSeconds?: number;
  /**
   * Receives before a message moves to the dead-letter queue.
   * @default - 5
   */
  readonly maxReceiveCount?: number;
}

/**
 * An SQS queue with SSE-SQS and a dead-letter queue (also SSE-SQS, TLS-only, and redrivable
 * only from this queue).
 *
 * The queue's own policy is left to whoever grants access to it (see `QueueSubscription`),
 * since a queue has exactly one policy; that policy is always a `TlsOnlyQueuePolicy`.
 */
export class EncryptedQueue extends Construct {
  /** The queue. */
  public readonly queue: SqsQueue;
  /** Where messages go after `maxReceiveCount` failed receives. */
  public readonly deadLetterQueue: SqsQueue;

  constructor(scope: Construct, id: string, props: EncryptedQueueProps) {
    super(scope, id);
    const { provider } = props;
    const retention = props.retentionSeconds ?? QUEUE_RETENTION_SECONDS;
    const deadLetterRetention = props.deadLetterRetentionSeconds ?? DEAD_LETTER_RETENTION_SECONDS;
    if (deadLetterRetention <= retention) {
      throw new Error(
        `EncryptedQueue ${props.name}: deadLetterRetentionSeconds ${deadLetterRetention} must exceed retentionSeconds ${retention}`,
      );
    }

    // A FIFO queue's dead-letter queue must be a FIFO queue too.
    const fifo = fifoQueueArgs(props.fifo);
    this.deadLetterQueue = new SqsQueue(this, "dead-letter-queue", {
      provider,
      name: props.deadLetterQueueName ?? `${props.name}-dlq`,
      messageRetentionSeconds: deadLetterRetention,
      maxMessageSize: QUEUE_MAX_MESSAGE_BYTES,
      sqsManagedSseEnabled: QUEUE_SSE_SQS,
      ...fifo,
    });
    new TlsOnlyQueuePolicy(this, "dead-letter-policy", { queue: this.deadLetterQueue });

    this.queue = new SqsQueue(this, "queue", {
      provider,
      name: props.name,
      messageRetentionSeconds: retention,
      maxMessageSize: QUEUE_MAX_MESSAGE_BYTES,
      visibilityTimeoutSeconds: props.visibilityTimeoutSeconds ?? VISIBILITY_TIMEOUT_SECONDS,
      sqsManagedSseEnabled: QUEUE_SSE_SQS,
      redrivePolicy: JSON.stringify({
        deadLetterTargetArn: this.deadLetterQueue.arn,
        maxReceiveCount: props.maxReceiveCount ?? MAX_RECEIVE_COUNT,
      }),
      ...fifo,
    });

    // Only this queue may use the dead-letter queue, and redrive may move messages back to it.
    new SqsQueueRedriveAllowPolicy(this, "dead-letter-redrive-allow", {
      provider,
      queueUrl: this.deadLetterQueue.url,
      redriveAllowPolicy: JSON.stringify({
        redrivePermission: "byQueue",
        sourceQueueArns: [this.queue.arn],
      }),
    });
  }
}
