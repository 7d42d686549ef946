/**
 * The region-failure drill: a paced load test through the stacks' APIs with failover and
 * fail-back, while the home region is taken down and brought back; then an account of where
 * every acknowledged message went.
 *
 * A message is lost when it was acknowledged (the API answered 202 with its SNS message id) and
 * either no consumer in a region that stayed up processed it (from the active queue of the stack
 * it was published to, or from that stack's replica there), or, once the failed region is back,
 * some queue of that stack's unit never delivered it to its consumer.
 *
 * A delivery is matched to its acknowledgement by the SNS message id when it came in an SNS
 * envelope, and by the message's idempotency key when it did not (raw message delivery: the
 * body is the message itself, and SNS hands the key on as an SQS message attribute).
 *
 * A queue whose subscription has a filter policy gets only the messages that match it: a message
 * missing there is counted as filtered out, not lost, and it is expected in the region only when
 * an unfiltered queue of its unit lives there.
 */
import { GetQueueAttributesCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { describeError } from "./errors";
import type { AcknowledgedMessage, LoadTestResult } from "./load-test";
import { queuesOf, type StackOutputs } from "./outputs";
import { formatDuration } from "./parse";
import { sleep } from "./timing";

/** One line of the local runtime's delivery journal (what a consumer did with a message). */
export interface Delivery {
  /** Epoch ms at which the consumer answered. */
  readonly at: number;
  readonly queueArn: string;
  /** `MessageId` of the SNS envelope, when the body was one: what the delivery is matched by. */
  readonly snsMessageId?: string;
  /** The message's `idempotency_key` attribute: what a delivery without an envelope is matched by. */
  readonly idempotencyKey?: string;
  readonly outcome: "processed" | "failed";
}

/**
 * What a delivery is counted under: its envelope's SNS message id (the one publication that was
 * acknowledged; a copy published again has another), else its idempotency key (every copy of the
 * message). The two never meet, so no delivery counts twice.
 */
function deliveryKey(d: Pick<Delivery, "snsMessageId" | "idempotencyKey">): string | undefined {
  if (d.snsMessageId !== undefined) return `sns ${d.snsMessageId}`;
  if (d.idempotencyKey !== undefined) return `key ${d.idempotencyKey}`;
  return undefined;
}

/** The keys deliveries of an acknowledged message can be counted under (see {@link deliveryKey}). */
function ackKeys(ack: AcknowledgedMessage): string[] {
  const keys = [
    ack.messageId !== "" ? deliveryKey({ snsMessageId: ack.messageId }) : undefined,
    ack.idempotencyKey !== "" ? deliveryKey({ idempotencyKey: ack.idempotencyKey }) : undefined,
  ];
  return keys.filter((key) => key !== undefined);
}

/** A queue of a unit, by ARN. */
export interface DrillQueue {
  readonly stack: string;
  readonly role: "active" | "replica";
  readonly region: string;
  readonly arn: string;
  /** The queue's subscription has a filter policy: it gets only the messages that match. */
  readonly filtered?: true;
}

/** Takes a region down and brings it back, and reads what the consumers did. */
export interface DrillEnvironment {
  regionDown(region: string): Promise<void>;
  regionUp(region: string): Promise<void>;
  /** Deliveries since an epoch ms; `undefined` when nothing records them (real AWS). */
  deliveries(since: number): Promise<readonly Delivery[] | undefined>;
}

/** Every queue of each stack's unit, from the outputs; `filtered` holds the ARNs of filtered ones. */
export function unitQueues(
  stacks: readonly StackOutputs[],
  filtered: ReadonlySet<string> = new Set(),
): DrillQueue[] {
  return stacks.flatMap((stack) => {
    const replicaArns = stack.stringMap("replica_queue_arns");
    return queuesOf(stack).map((queue) => {
      const arn =
        queue.role === "active" ? stack.string("active_queue_arn") : replicaArns[queue.region];
      const base = { stack: stack.name, role: queue.role, region: queue.region, arn };
      return filtered.has(arn) ? { ...base, filtered: true as const } : base;
    });
  });
}

export interface DrillWindow {
  readonly region: string;
  /** Epoch ms the region went down, and came back. */
  readonly downAt: number;
  readonly upAt: number;
}

/** Where the acknowledged messages went, per queue and overall. */
export interface DrillAccount {
  readonly acknowledged: number;
  /** Acknowledged messages each stack took. */
  readonly byStack: Readonly<Record<string, number>>;
  /** Messages processed by the active consumer of the stack they were published to. */
  readonly deliveredActive: number;
  /** Per region: messages processed by the replica consumer there of their stack's unit. */
  readonly deliveredReplica: Readonly<Record<string, number>>;
  /** Extra processings of a message in a queue that had processed it already. */
  readonly duplicates: number;
  /** Not processed in any region that stayed up (by message id, else idempotency key). */
  readonly lostInFailure: readonly string[];
  /** Missing from a queue of their unit after the failed region came back. */
  readonly missingAfterRecovery: readonly string[];
  /** Acknowledgements without a message id or an idempotency key: they cannot be followed. */
  readonly untracked: number;
  /** Per filtered queue (`<stack> <role> <region>`): messages it did not get, by its filter. */
  readonly filteredOut: Readonly<Record<string, number>>;
}

export function accountFor(
  acknowledged: readonly AcknowledgedMessage[],
  deliveries: readonly Delivery[],
  queues: readonly DrillQueue[],
  failedRegion: string,
): DrillAccount {
  const processed = new Map<string, Map<string, number>>(); // delivery key -> queue arn -> count
  for (const d of deliveries) {
    const key = deliveryKey(d);
    if (d.outcome !== "processed" || key === undefined) continue;
    const perQueue = processed.get(key) ?? new Map<string, number>();
    perQueue.set(d.queueArn, (perQueue.get(d.queueArn) ?? 0) + 1);
    processed.set(key, perQueue);
  }
  const byStack: Record<string, number> = {};
  const deliveredReplica: Record<string, number> = {};
  let deliveredActive = 0;
  let duplicates = 0;
  let untracked = 0;
  const filteredOut: Record<string, number> = {};
  const lostInFailure: string[] = [];
  const missingAfterRecovery: string[] = [];
  for (const ack of acknowledged) {
    byStack[ack.stack] = (byStack[ack.stack] ?? 0) + 1;
    const keys = ackKeys(ack);
    if (keys.length === 0) {
      untracked += 1;
      continue;
    }
    const label = ack.messageId || ack.idempotencyKey;
    const perQueue = new Map<string, number>();
    for (const key of keys) {
      for (const [arn, n] of processed.get(key) ?? []) {
        perQueue.set(arn, (perQueue.get(arn) ?? 0) + n);
      }
    }
    const unit = queues.filter((q) => q.stack === ack.stack);
    let survived = false;
    let expected = false;
    let missing = false;
    for (const queue of unit) {
      const count = perQueue.get(queue.arn) ?? 0;
      if (queue.region !== failedRegion && !queue.filtered) expected = true;
      if (count === 0 && queue.filtered) {
        const label = `${queue.stack} ${queue.role} ${queue.region}`;
        filteredOut[label] = (filteredOut[label] ?? 0) + 1;
      } else if (count === 0) missing = true;
      if (count > 1) duplicates += count - 1;
      if (count > 0 && queue.region !== failedRegion) survived = true;
      if (count > 0 && queue.role === "active") deliveredActive += 1;
      if (count > 0 && queue.role === "replica") {
        deliveredReplica[queue.region] = (deliveredReplica[queue.region] ?? 0) + 1;
      }
    }
    if (!survived && expected) lostInFailure.push(label);
    if (missing) missingAfterRecovery.push(label);
  }
  return {
    acknowledged: acknowledged.length,
    byStack,
    deliveredActive,
    deliveredReplica,
    duplicates,
    lostInFailure,
    missingAfterRecovery,
    untracked,
    filteredOut,
  };
}

/**
 * How long the drill waits for deliveries to settle by default: a message whose receive was cut
 * off by the outage stays invisible for its queue's visibility timeout before a consumer sees it
 * again, so the longest visibility timeout of the units' queues, plus a margin.
 */
export async function defaultSettleTimeoutMs(
  stacks: readonly StackOutputs[],
  sqs: (region: string) => SQSClient,
  marginMs = 30_000,
): Promise<number> {
  let longest = 0;
  for (const stack of stacks) {
    for (const queue of queuesOf(stack)) {
      const { Attributes } = await sqs(queue.region).send(
        new GetQueueAttributesCommand({
          QueueUrl: queue.url,
          AttributeNames: ["VisibilityTimeout"],
        }),
      );
      longest = Math.max(longest, Number(Attributes?.VisibilityTimeout ?? 0) * 1000);
    }
  }
  return longest + marginMs;
}

/** Messages lost: acknowledged, and either gone in the failure or missing after recovery. */
export function lostCount(account: DrillAccount): number {
  return new Set([...account.lostInFailure, ...account.missingAfterRecovery]).size;
}

export interface DrillResult {
  readonly load: LoadTestResult;
  readonly window: DrillWindow;
  /** Undefined where deliveries are not recorded. */
  readonly account?: DrillAccount;
  /** From the region going down to the first acknowledgement by another stack. */
  readonly failoverMs?: number;
  /** From the region coming back to the first acknowledgement by the home stack again. */
  readonly failBackMs?: number;
  /** How long the deliveries took to settle after the last send. */
  readonly settleMs: number;
}

export interface DrillOptions {
  readonly home: StackOutputs;
  /** Every stack whose deliveries are followed (the home stack and its failover targets). */
  readonly stacks: readonly StackOutputs[];
  readonly environment: DrillEnvironment;
  /** Runs the paced load test with failover and fail-back. */
  readonly runLoad: () => Promise<LoadTestResult>;
  /** The home region goes down this long after the load starts, for `downForMs`. */
  readonly downAfterMs: number;
  readonly downForMs: number;
  /** Longest wait for every acknowledged message to reach every queue of its unit. */
  readonly settleTimeoutMs: number;
  /** ARNs of the queues whose subscription filters (see {@link unitQueues}). */
  readonly filteredQueues?: ReadonlySet<string>;
  readonly pollIntervalMs?: number;
  readonly print: (line: string) => void;
  readonly stop: AbortSignal;
}

export async function drill(options: DrillOptions): Promise<DrillResult> {
  const { environment, print, home } = options;
  const region = home.region();
  const queues = unitQueues(options.stacks, options.filteredQueues);
  const startedAt = Date.now();
  let downAt = 0;
  let upAt = 0;

  const outage = (async () => {
    await sleep(options.downAfterMs, options.stop);
    downAt = Date.now();
    print(`${new Date(downAt).toISOString()} region ${region} goes down`);
    await environment.regionDown(region);
    await sleep(options.downForMs, options.stop);
    upAt = Date.now();
    print(`${new Date(upAt).toISOString()} region ${region} comes back`);
    await environment.regionUp(region);
  })();
  let load: LoadTestResult;
  try {
    load = await options.runLoad();
  } finally {
    // Whatever happened, the region comes back.
    await outage.catch(async (err: unknown) => {
      print(`region switch failed: ${describeError(err)}`);
      await environment.regionUp(region);
    });
  }
  const window: DrillWindow = { region, downAt, upAt };

  const afterHome = load.delivered.filter((a) => a.stack !== home.name && a.at >= downAt);
  const backHome = load.delivered.filter((a) => a.stack === home.name && a.at >= upAt);
  const first = (acks: readonly AcknowledgedMessage[]) =>
    acks.length === 0 ? undefined : Math.min(...acks.map((a) => a.at));
  const firstAway = first(afterHome);
  const firstBack = first(backHome);

  const settleStart = Date.now();
  let account: DrillAccount | undefined;
  for (;;) {
    const deliveries = await environment.deliveries(startedAt);
    if (deliveries === undefined) break;
    account = accountFor(load.delivered, deliveries, queues, region);
    if (account.missingAfterRecovery.length === 0) break;
    if (Date.now() - settleStart >= options.settleTimeoutMs || options.stop.aborted) break;
    await sleep(options.pollIntervalMs ?? 1000, options.stop);
  }
  return {
    load,
    window,
    account,
    failoverMs: firstAway === undefined ? undefined : firstAway - downAt,
    failBackMs: firstBack === undefined ? undefined : firstBack - upAt,
    settleMs: Date.now() - settleStart,
  };
}

/** The drill passes when it failed over and back and lost nothing. */
export function drillPassed(result: DrillResult): boolean {
  if (result.load.failovers === 0 || result.load.failBacks === 0) return false;
  if (result.load.failed.length > 0) return false;
  return result.account === undefined || lostCount(result.account) === 0;
}

export function formatDrillReport(result: DrillResult): string[] {
  const { load, account } = result;
  const ms = (value?: number) => (value === undefined ? "never" : formatDuration(value));
  const lines = [
    `--- drill: ${result.window.region} down for ${formatDuration(result.window.upAt - result.window.downAt)} ---`,
    `sent ${load.requested}, acknowledged ${load.delivered.length}, failed ${load.failed.length}` +
      (load.notSent.length > 0 ? `, not sent ${load.notSent.length}` : ""),
    `failovers ${load.failovers}, fail-backs ${load.failBacks}; time to fail over ${ms(result.failoverMs)}, to fail back ${ms(result.failBackMs)}`,
  ];
  if (account === undefined) {
    lines.push("deliveries: not recorded here (no local runtime); follow them on the dashboard");
    return lines;
  }
  const replicas = Object.entries(account.deliveredReplica)
    .map(([region, n]) => `${region} ${n}`)
    .join(", ");
  lines.push(
    `acknowledged by stack: ${
      Object.entries(account.byStack)
        .map(([stack, n]) => `${stack} ${n}`)
        .join(", ") || "none"
    }`,
    `delivered to an active consumer ${account.deliveredActive}; to a replica consumer: ${replicas || "none"}`,
    `duplicates ${account.duplicates}, lost ${lostCount(account)}` +
      (account.untracked > 0 ? `, untracked (no message id nor key) ${account.untracked}` : "") +
      ` (settled in ${formatDuration(result.settleMs)})`,
  );
  for (const [queue, n] of Object.entries(account.filteredOut)) {
    lines.push(`filtered out: ${n} not for ${queue} (its subscription's filter policy)`);
  }
  for (const id of account.lostInFailure.slice(0, 10)) {
    lines.push(`lost: ${id} was processed in no region that stayed up`);
  }
  for (const id of account.missingAfterRecovery.slice(0, 10)) {
    lines.push(`missing: ${id} never reached every queue of its unit`);
  }
  lines.push(drillPassed(result) ? "drill passed" : "drill FAILED");
  return lines;
}

/**
 * The local runtime's control API as a drill environment. It uses `fetch`, not the CLI's small
 * HTTP client: the delivery journal is larger than that client keeps of a body.
 */
export function localDrillEnvironment(controlUrl: string, timeoutMs = 10_000): DrillEnvironment {
  const call = async (method: string, path: string): Promise<string> => {
    const response = await fetch(`${controlUrl}${path}`, {
      method,
      headers: { accept: "application/json" },
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = await response.text();
    if (!response.ok) {
      throw new Error(`local runtime ${method} ${path}: HTTP ${response.status} ${body}`);
    }
    return body;
  };
  return {
    regionDown: async (region) => void (await call("POST", `/regions/${region}/down`)),
    regionUp: async (region) => void (await call("POST", `/regions/${region}/up`)),
    deliveries: async (since) => JSON.parse(await call("GET", `/deliveries?since=${since}`)),
  };
}

/** Real AWS: an operator's commands take the region down and back; nothing records deliveries. */
export function commandDrillEnvironment(
  run: (command: string, region: string) => Promise<void>,
  downCommand: string,
  upCommand: string,
): DrillEnvironment {
  return {
    regionDown: (region) => run(downCommand, region),
    regionUp: (region) => run(upCommand, region),
    deliveries: async () => undefined,
  };
}
