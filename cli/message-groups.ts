/**
 * Message groups of the messages the CLI sends to FIFO units (setting `fifo`): a FIFO topic
 * takes no message without one. `--message-group-id <id>` puts every message in one group,
 * `--message-groups <n>` spreads them over `<producer>-0` .. `<producer>-<n-1>` by sequence
 * number (ordered within each group, in parallel across groups); by default every message of a
 * producer is in the group named after the producer. A unit is FIFO when its topic's name ends
 * in `.fifo`.
 */
import { InvalidArgumentError } from "commander";
import { FIFO_SUFFIX } from "../config/names";
import { fifoIdProblem } from "../lambdas/producer-api/fifo";
import { UsageError } from "./errors";
import type { StackOutputs } from "./outputs";
import type { Message } from "./senders";

/** How messages are put into groups. */
export interface MessageGroups {
  /** The group of a message. */
  groupOf(message: Pick<Message, "seq">): string;
  /** For the command's first line, e.g. `message group "orders"` or `4 message groups`. */
  readonly description: string;
}

/** The group options of the sending commands. */
export interface MessageGroupOptions {
  /** `--message-group-id`: one group for every message. */
  readonly messageGroupId?: string;
  /** `--message-groups`: this many groups, by sequence number. */
  readonly messageGroups?: number;
}

/** Parses `--message-group-id` with SNS's rules (1 to 128 letters, digits, punctuation). */
export function parseMessageGroupId(text: string): string {
  const problem = fifoIdProblem(text);
  if (problem !== undefined) throw new InvalidArgumentError(`the message group id ${problem}.`);
  return text;
}

/** Whether the stack's topic is a FIFO topic. */
export function isFifoStack(stack: StackOutputs): boolean {
  return stack.string("topic_arn").endsWith(FIFO_SUFFIX);
}

/**
 * The message groups to send to `stacks` with, `undefined` for standard units.
 *
 * @throws UsageError when group options are given for standard units, both are given, the
 *   stacks mix FIFO and standard topics, or a group name made of the producer id breaks SNS's rules
 */
export function messageGroupsFor(
  stacks: readonly StackOutputs[],
  options: MessageGroupOptions,
  producer: string,
): MessageGroups | undefined {
  const fifo = stacks.filter(isFifoStack);
  const given = options.messageGroupId !== undefined || options.messageGroups !== undefined;
  if (fifo.length === 0) {
    if (!given) return undefined;
    const flag = options.messageGroupId !== undefined ? "--message-group-id" : "--message-groups";
    throw new UsageError(
      `${flag} is only for FIFO units: the topic of stack "${stacks[0].name}" is a standard topic`,
    );
  }
  if (fifo.length < stacks.length) {
    const standard = stacks.find((s) => !isFifoStack(s)) as StackOutputs;
    throw new UsageError(
      `stacks "${fifo[0].name}" (FIFO) and "${standard.name}" (standard) cannot share a run: deploy both with the same fifo setting`,
    );
  }
  if (options.messageGroupId !== undefined && options.messageGroups !== undefined) {
    throw new UsageError("--message-group-id and --message-groups exclude each other");
  }
  if (options.messageGroupId !== undefined) {
    const id = options.messageGroupId;
    return { groupOf: () => id, description: `message group ${JSON.stringify(id)}` };
  }
  const count = options.messageGroups ?? 1;
  const last = count === 1 ? producer : `${producer}-${count - 1}`;
  const problem = fifoIdProblem(last);
  if (problem !== undefined) {
    throw new UsageError(
      `message group ${JSON.stringify(last)} (from the producer id) ${problem}: pass --message-group-id or a --producer without spaces`,
    );
  }
  return count === 1
    ? { groupOf: () => producer, description: `message group ${JSON.stringify(producer)}` }
    : {
        groupOf: (message) => `${producer}-${message.seq % count}`,
        description: `${count} message groups ${JSON.stringify(`${producer}-0`)}..`,
      };
}
