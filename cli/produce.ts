/**
 * Steady traffic: one new message per interval to the current target. A message whose send
 * failed stays queued, in order, and is sent again (same payload) on the next tick or at once
 * to the new target after a failover, so nothing is lost across a switch, until it has been
 * sent `maxAttempts` times: then it is given up, with the last reason.
 */
import { randomUUID } from "node:crypto";
import { CliError, describeError, isFatalError, isPermanentError } from "./errors";
import type { FailoverController } from "./failover-controller";
import { countByStack, seqRanges } from "./format";
import { formatDuration } from "./parse";
import { targetLabel, type Message, type Sender } from "./senders";
import { formatPercentiles, percentiles } from "./stats";
import { sleep, withTimeout } from "./timing";

export interface ProduceOptions {
  readonly controller: FailoverController;
  readonly sender: Sender;
  /** Producer id written into every message. */
  readonly producer: string;
  readonly intervalMs: number;
  /** Stop after this many new messages (once they are delivered). */
  readonly count?: number;
  /** Stop creating messages after this long. */
  readonly durationMs?: number;
  /** Time limit of one send. */
  readonly timeoutMs: number;
  /** Sends of one message, to any stack, before it is given up. */
  readonly maxAttempts: number;
  readonly print: (line: string) => void;
  /** Aborts on Ctrl-C: no new sends start, the summary follows. */
  readonly stop: AbortSignal;
}

export interface Delivery {
  readonly seq: number;
  readonly stack: string;
  readonly messageId: string;
  /** Sends of this message, this one included. */
  readonly attempts: number;
}

export interface ProduceResult {
  /** Messages created (highest seq). */
  readonly created: number;
  readonly delivered: readonly Delivery[];
  /** Messages the service refused as malformed or unauthorized: not retried. */
  readonly rejected: readonly { readonly seq: number; readonly reason: string }[];
  /** Messages sent `maxAttempts` times without success, with the last failure. */
  readonly givenUp: readonly {
    readonly seq: number;
    readonly attempts: number;
    readonly reason: string;
  }[];
  /** Messages created but not delivered when the run ended. */
  readonly undelivered: readonly Message[];
  /** Sends that failed (error, timeout, server fault). */
  readonly failedSends: number;
  /** Duration of each send that returned, ms. */
  readonly latencies: readonly number[];
  readonly elapsedMs: number;
  readonly failovers: number;
  readonly failBacks: number;
  readonly interrupted: boolean;
}

export async function produce(options: ProduceOptions): Promise<ProduceResult> {
  const { controller, sender, print, stop } = options;
  const start = Date.now();
  const outbox: Message[] = [];
  const attempts = new Map<number, number>();
  const delivered: Delivery[] = [];
  const rejected: { seq: number; reason: string }[] = [];
  const givenUp: { seq: number; attempts: number; reason: string }[] = [];
  const latencies: number[] = [];
  let failedSends = 0;
  let seq = 0;

  /**
   * Sends queued messages in order. Stops at a failure, unless it moved to a target that has not
   * failed in this tick: when every target fails, each gets one failed send per tick, no more.
   */
  async function drain(): Promise<void> {
    const failedHere = new Set<number>();
    while (outbox.length > 0 && !stop.aborted) {
      const message = outbox[0];
      const { index, target } = controller.current();
      if (failedHere.has(index)) return;
      const attempt = (attempts.get(message.seq) ?? 0) + 1;
      attempts.set(message.seq, attempt);
      const label = `seq ${message.seq}  ${targetLabel(target)}`;
      const resent = attempt > 1 ? ` (resent, attempt ${attempt})` : "";
      const sentAt = Date.now();
      let reason: string;
      try {
        const [result] = await withTimeout(options.timeoutMs, (signal) =>
          sender.send(target, [message], signal),
        );
        const ms = Date.now() - sentAt;
        latencies.push(ms);
        if (result.ok) {
          outbox.shift();
          delivered.push({
            seq: message.seq,
            stack: target.stack,
            messageId: result.messageId,
            attempts: attempt,
          });
          controller.record(index, { ok: true });
          print(`${label}  id ${result.messageId || "?"}  ${ms} ms${resent}`);
          continue;
        }
        if (result.senderFault) {
          outbox.shift();
          rejected.push({ seq: message.seq, reason: result.reason });
          print(`${label}  REJECTED: ${result.reason}`);
          continue;
        }
        reason = result.reason;
      } catch (err) {
        if (isFatalError(err)) throw err;
        if (isPermanentError(err)) {
          throw new CliError(
            `${targetLabel(target)} refused seq ${message.seq}: ${describeError(err)}; stopping, since sending again cannot succeed (credentials, permissions, a missing resource or a bad parameter)`,
          );
        }
        reason = describeError(err);
      }
      failedSends += 1;
      failedHere.add(index);
      print(`${label}  FAILED after ${Date.now() - sentAt} ms: ${reason}${resent}`);
      if (attempt >= options.maxAttempts) {
        outbox.shift();
        givenUp.push({ seq: message.seq, attempts: attempt, reason });
        print(`seq ${message.seq}  GIVEN UP after ${attempt} attempts: ${reason}`);
      }
      if (!controller.record(index, { ok: false, reason })) return;
    }
  }

  const countReached = (): boolean => options.count !== undefined && seq >= options.count;
  let nextTick = start;
  for (;;) {
    const now = Date.now();
    if (stop.aborted) break;
    if (options.durationMs !== undefined && now - start >= options.durationMs) break;
    if (!countReached()) {
      seq += 1;
      outbox.push({ recorded_at: now, seq, producer: options.producer, id: randomUUID() });
    }
    await controller.maybeFailBack();
    await drain();
    if (countReached() && outbox.length === 0) break;
    nextTick += options.intervalMs;
    const wait = nextTick - Date.now();
    if (wait > 0) {
      await sleep(wait, stop);
    } else {
      nextTick = Date.now();
    }
  }

  return {
    created: seq,
    delivered,
    rejected,
    givenUp,
    undelivered: [...outbox],
    failedSends,
    latencies,
    elapsedMs: Date.now() - start,
    failovers: controller.failovers,
    failBacks: controller.failBacks,
    interrupted: stop.aborted,
  };
}

export function formatProduceSummary(result: ProduceResult): string[] {
  const lines = [
    `--- produce ${result.interrupted ? "stopped" : "done"} after ${formatDuration(result.elapsedMs)} ---`,
    `messages: ${result.created} created, ${result.delivered.length} delivered, ` +
      `${result.rejected.length} rejected, ` +
      (result.givenUp.length > 0 ? `${result.givenUp.length} given up, ` : "") +
      `${result.undelivered.length} not delivered`,
    `delivered by stack: ${countByStack(result.delivered)}`,
    `failed sends: ${result.failedSends}, failovers: ${result.failovers}, fail-backs: ${result.failBacks}`,
    `send latency (${result.latencies.length} sends): ${formatPercentiles(percentiles(result.latencies))}`,
  ];
  for (const { seq, reason } of result.rejected) lines.push(`rejected: seq ${seq}: ${reason}`);
  for (const { seq, attempts, reason } of result.givenUp) {
    lines.push(`given up: seq ${seq} after ${attempts} attempts: ${reason}`);
  }
  if (result.undelivered.length > 0) {
    lines.push(`not delivered: seq ${seqRanges(result.undelivered.map((m) => m.seq))}`);
  }
  return lines;
}
