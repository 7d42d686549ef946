/**
 * Load test: N messages as fast as a bounded number of concurrent calls allows, in batches of
 * the sender's size (10 for SNS PublishBatch and SQS SendMessageBatch). Entries that fail are
 * sent again, alone, with exponential backoff and jitter, up to a number of attempts per target;
 * then they are reported with their reason. Entries the service refused as malformed are
 * reported at once (sending them again cannot succeed).
 */
import { randomUUID } from "node:crypto";
import { CliError, describeError, isFatalError, isPermanentError } from "./errors";
import type { FailoverController } from "./failover-controller";
import { formatDuration } from "./parse";
import { countByStack, seqRanges } from "./format";
import type { Progress } from "./progress";
import { idempotencyKey, type Message, type Sender } from "./senders";
import { formatPercentiles, percentiles } from "./stats";
import { backoffDelay, sleep, withTimeout } from "./timing";

export interface LoadTestOptions {
  readonly controller: FailoverController;
  readonly sender: Sender;
  readonly producer: string;
  readonly messages: number;
  /** Calls in flight at most. */
  readonly concurrency: number;
  /** Time limit of one call. */
  readonly timeoutMs: number;
  /** Sends of one message to one target before it is given up. */
  readonly maxAttempts: number;
  /**
   * Messages per second at most, spread evenly (each batch starts at its slot).
   * @default - as fast as the concurrency allows
   */
  readonly ratePerSecond?: number;
  readonly progress: Progress;
  /** Aborts on Ctrl-C: no new calls start, the summary follows. */
  readonly stop: AbortSignal;
  /** Source of the backoff jitter. @default - Math.random */
  readonly random?: () => number;
}

export interface FailedMessage {
  readonly seq: number;
  readonly stack: string;
  readonly reason: string;
  readonly attempts: number;
}

/** A message the target acknowledged. */
export interface AcknowledgedMessage {
  readonly seq: number;
  /** Stack that accepted it. */
  readonly stack: string;
  /** The id the service answered (SNS or SQS message id); `""` when it named none. */
  readonly messageId: string;
  /**
   * The message's idempotency key, the same across every resend: what follows it where no SNS
   * envelope does (raw message delivery, a message sent straight to SQS).
   */
  readonly idempotencyKey: string;
  /** Epoch ms of the acknowledgement. */
  readonly at: number;
}

export interface LoadTestResult {
  readonly requested: number;
  readonly delivered: readonly AcknowledgedMessage[];
  readonly failed: readonly FailedMessage[];
  /** Messages never sent or still to retry when Ctrl-C stopped the run. */
  readonly notSent: readonly number[];
  /** Calls made, and how many of them failed as a whole. */
  readonly calls: number;
  readonly failedCalls: number;
  /** Entries sent again after a failure. */
  readonly resent: number;
  /** Duration of every call that returned, ms (sub-millisecond resolution). */
  readonly latencies: readonly number[];
  /** Run time, ms (sub-millisecond resolution, so a fast run still has a rate). */
  readonly elapsedMs: number;
  readonly failovers: number;
  readonly failBacks: number;
  readonly interrupted: boolean;
}

export async function loadTest(options: LoadTestOptions): Promise<LoadTestResult> {
  const { controller, sender, progress, stop } = options;
  const random = options.random ?? Math.random;
  const halt = new AbortController();
  const stopped = (): boolean => stop.aborted || halt.signal.aborted;
  const onStop = (): void => halt.abort();
  stop.addEventListener("abort", onStop, { once: true });

  const delivered: AcknowledgedMessage[] = [];
  const failed: FailedMessage[] = [];
  const notSent: number[] = [];
  const latencies: number[] = [];
  let calls = 0;
  let failedCalls = 0;
  let resent = 0;
  let fatal: unknown;

  const batches = Math.ceil(options.messages / sender.batchSize);
  let nextBatch = 0;
  const finished = (): number => delivered.length + failed.length;

  /** Delivers one batch, retrying its failed entries, until done, given up or stopped. */
  async function deliver(first: number, last: number): Promise<void> {
    const createdAt = Date.now();
    let pending: Message[] = [];
    for (let seq = first; seq <= last; seq += 1) {
      pending.push({ recorded_at: createdAt, seq, producer: options.producer, id: randomUUID() });
    }
    const attemptsByTarget = new Map<number, number>();
    /** Each target's own last failure, so a give-up names what that target said. */
    const lastReasonByTarget = new Map<number, string>();
    let sends = 0;
    while (pending.length > 0) {
      if (stopped()) {
        notSent.push(...pending.map((m) => m.seq));
        return;
      }
      await controller.maybeFailBack();
      const { index, target } = controller.current();
      const attempts = attemptsByTarget.get(index) ?? 0;
      if (attempts >= options.maxAttempts) {
        const reason = lastReasonByTarget.get(index) ?? "";
        for (const m of pending) {
          failed.push({ seq: m.seq, stack: target.stack, reason, attempts: sends });
        }
        progress.update(finished(), failed.length);
        return;
      }
      attemptsByTarget.set(index, attempts + 1);
      if (sends > 0) resent += pending.length;
      sends += 1;
      calls += 1;
      const sentAt = performance.now();
      try {
        const results = await withTimeout(options.timeoutMs, (signal) =>
          sender.send(target, pending, signal),
        );
        latencies.push(performance.now() - sentAt);
        const retry = new Set<number>();
        const keys = new Map(pending.map((m) => [m.seq, idempotencyKey(m)]));
        for (const result of results) {
          if (result.ok) {
            delivered.push({
              seq: result.seq,
              stack: target.stack,
              messageId: result.messageId,
              idempotencyKey: keys.get(result.seq) ?? "",
              at: Date.now(),
            });
          } else if (result.senderFault) {
            failed.push({
              seq: result.seq,
              stack: target.stack,
              reason: result.reason,
              attempts: sends,
            });
          } else {
            retry.add(result.seq);
            lastReasonByTarget.set(index, result.reason);
          }
        }
        const allFailed = retry.size > 0 && retry.size === pending.length;
        controller.record(
          index,
          allFailed ? { ok: false, reason: lastReasonByTarget.get(index) ?? "" } : { ok: true },
        );
        pending = pending.filter((m) => retry.has(m.seq));
      } catch (err) {
        if (isPermanentError(err)) {
          fatal ??= isFatalError(err)
            ? err
            : new CliError(
                `${target.stack}/${target.region} refused a call: ${describeError(err)}; stopping, since sending again cannot succeed`,
              );
          halt.abort();
          return;
        }
        failedCalls += 1;
        const reason = describeError(err);
        lastReasonByTarget.set(index, reason);
        controller.record(index, { ok: false, reason });
      }
      progress.update(finished(), failed.length);
      if (pending.length > 0) {
        await sleep(backoffDelay(attemptsByTarget.get(index) ?? 1, random), halt.signal);
      }
    }
  }

  const slotMs =
    options.ratePerSecond === undefined ? 0 : (sender.batchSize * 1000) / options.ratePerSecond;

  async function worker(): Promise<void> {
    while (nextBatch < batches) {
      const batch = nextBatch++;
      const first = batch * sender.batchSize + 1;
      const last = Math.min(options.messages, first + sender.batchSize - 1);
      if (slotMs > 0) await sleep(start + batch * slotMs - performance.now(), halt.signal);
      if (stopped()) {
        for (let seq = first; seq <= last; seq += 1) notSent.push(seq);
        continue;
      }
      await deliver(first, last);
    }
  }

  const start = performance.now();
  progress.start(options.messages);
  try {
    const workers = Array.from({ length: Math.min(options.concurrency, batches) }, worker);
    await Promise.all(workers);
  } finally {
    progress.stop();
    stop.removeEventListener("abort", onStop);
  }
  if (fatal !== undefined) throw fatal;

  return {
    requested: options.messages,
    delivered,
    failed: [...failed].sort((a, b) => a.seq - b.seq),
    notSent: [...notSent].sort((a, b) => a - b),
    calls,
    failedCalls,
    resent,
    latencies,
    elapsedMs: performance.now() - start,
    failovers: controller.failovers,
    failBacks: controller.failBacks,
    interrupted: stop.aborted,
  };
}

export function formatLoadTestSummary(result: LoadTestResult, batchSize: number): string[] {
  const seconds = result.elapsedMs / 1000;
  const rate = seconds > 0 ? (result.delivered.length / seconds).toFixed(1) : "-";
  const per = batchSize > 1 ? `per call of up to ${batchSize}` : "per message";
  const lines = [
    `--- load test ${result.interrupted ? "stopped" : "done"} after ${formatDuration(result.elapsedMs)} ---`,
    `sent ${result.delivered.length} of ${result.requested}, failed ${result.failed.length}` +
      (result.notSent.length > 0 ? `, not sent ${result.notSent.length}` : "") +
      `, ${rate} messages/s`,
    `calls: ${result.calls} (${result.failedCalls} failed as a whole), entries resent: ${result.resent}`,
    `publish latency ${per}: ${formatPercentiles(percentiles(result.latencies))}`,
    `delivered by stack: ${countByStack(result.delivered)}`,
  ];
  if (result.failovers > 0 || result.failBacks > 0) {
    lines.push(`failovers: ${result.failovers}, fail-backs: ${result.failBacks}`);
  }
  for (const f of result.failed) {
    lines.push(
      `failed: seq ${f.seq} (entry m${f.seq}) on ${f.stack} after ${f.attempts} ${f.attempts === 1 ? "attempt" : "attempts"}: ${f.reason}`,
    );
  }
  if (result.notSent.length > 0) lines.push(`not sent: seq ${seqRanges(result.notSent)}`);
  return lines;
}
