/**
 * The arguments that make a topic or a queue FIFO, from the unit's FIFO settings: one place
 * for the mapping of `fifoThroughput` and `contentBasedDeduplication` onto each resource.
 * Without FIFO settings they are empty, so a standard unit's resources are as before.
 */
import type { SnsTopicConfig } from "@cdktf/provider-aws/lib/sns-topic";
import type { SqsQueueConfig } from "@cdktf/provider-aws/lib/sqs-queue";
import type { FifoConfig } from "../config/config";

/** How each throughput mode sets a FIFO topic and a FIFO queue. */
export const FIFO_THROUGHPUT = {
  standard: { topicScope: "Topic", queueDeduplicationScope: "queue", queueLimit: "perQueue" },
  high: {
    topicScope: "MessageGroup",
    queueDeduplicationScope: "messageGroup",
    queueLimit: "perMessageGroupId",
  },
} as const satisfies Record<FifoConfig["throughput"], Record<string, string>>;

/** The FIFO arguments of an `aws_sns_topic`; none for a standard topic. */
export function fifoTopicArgs(
  fifo: FifoConfig | undefined,
): Pick<SnsTopicConfig, "fifoTopic" | "contentBasedDeduplication" | "fifoThroughputScope"> {
  if (fifo === undefined) return {};
  return {
    fifoTopic: true,
    contentBasedDeduplication: fifo.contentBasedDeduplication,
    fifoThroughputScope: FIFO_THROUGHPUT[fifo.throughput].topicScope,
  };
}

/**
 * The FIFO arguments of an `aws_sqs_queue` (queues and dead-letter queues alike: a FIFO
 * queue's and a FIFO subscription's dead-letter queue must be FIFO); none for a standard one.
 */
export function fifoQueueArgs(
  fifo: FifoConfig | undefined,
): Pick<
  SqsQueueConfig,
  "fifoQueue" | "contentBasedDeduplication" | "deduplicationScope" | "fifoThroughputLimit"
> {
  if (fifo === undefined) return {};
  const throughput = FIFO_THROUGHPUT[fifo.throughput];
  return {
    fifoQueue: true,
    contentBasedDeduplication: fifo.contentBasedDeduplication,
    deduplicationScope: throughput.queueDeduplicationScope,
    fifoThroughputLimit: throughput.queueLimit,
  };
}
