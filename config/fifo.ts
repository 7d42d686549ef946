/**
 * FIFO units (setting `fifo`): what the FIFO settings become, and the combinations AWS does
 * not support, refused before any construct is built.
 *
 * What AWS supports, and so what a FIFO unit is: an SNS FIFO topic delivers to SQS queues only
 * (FIFO or standard; a standard topic cannot feed a FIFO queue), in its region or another (SNS
 * documents no restriction of cross-region delivery for FIFO topics; the opt-in region rules
 * of `opt-in-regions.ts` apply as to every topic), with filter policies and raw delivery as
 * standard topics. A FIFO subscription's dead-letter queue and a FIFO queue's dead-letter
 * queue must be FIFO queues. Every queue of a FIFO unit is FIFO, so each copy of a message
 * keeps its group's order in every region. Lambda reads at most 10 records per batch from a
 * FIFO queue and takes no batching window.
 */
import { FIFO_MAX_BATCH_SIZE, type FifoThroughputMode, type Settings } from "./settings";

/** The FIFO settings of every unit of the app. */
export interface FifoConfig {
  /** Topic and queues deduplicate by the body's SHA-256 when a publish names no id. */
  readonly contentBasedDeduplication: boolean;
  /** `standard`: throughput and deduplication per topic and queue; `high`: per message group. */
  readonly throughput: FifoThroughputMode;
}

/** Throws the one-line error of a setting: key, value, what is wrong, what is allowed. */
export type SettingProblem = (key: string, value: unknown, what: string, allowed: string) => never;

/**
 * The FIFO configuration, `undefined` for standard units; throws through `problem` on a
 * setting that FIFO (or its absence) does not allow.
 */
export function fifoConfig(s: Settings, problem: SettingProblem): FifoConfig | undefined {
  if (!s.fifo) {
    if (s.contentBasedDeduplication) {
      problem(
        "contentBasedDeduplication",
        s.contentBasedDeduplication,
        "needs fifo true (standard topics and queues do not deduplicate)",
        "false unless fifo is true",
      );
    }
    if (s.fifoThroughput !== "standard") {
      problem(
        "fifoThroughput",
        s.fifoThroughput,
        "needs fifo true (it sets the throughput of FIFO topics and queues)",
        '"standard" unless fifo is true',
      );
    }
    return undefined;
  }
  if (s.batchSize > FIFO_MAX_BATCH_SIZE) {
    problem(
      "batchSize",
      s.batchSize,
      `is above ${FIFO_MAX_BATCH_SIZE}, the most Lambda reads from a FIFO queue per batch (fifo is true)`,
      `1 to ${FIFO_MAX_BATCH_SIZE} with fifo`,
    );
  }
  if (s.batchingWindowSeconds !== 0) {
    problem(
      "batchingWindowSeconds",
      s.batchingWindowSeconds,
      "is a batching window, which Lambda does not support on FIFO queues (fifo is true)",
      "0 with fifo",
    );
  }
  return { contentBasedDeduplication: s.contentBasedDeduplication, throughput: s.fifoThroughput };
}
