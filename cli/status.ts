/**
 * Status of every stack: the health endpoint's answer, and the depth of every queue, its
 * dead-letter queue and its delivery (SNS subscription) dead-letter queue.
 */
import {
  GetQueueAttributesCommand,
  type QueueAttributeName,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type { QueueRole } from "../config/names";
import { describeError, isFatalError } from "./errors";
import { checkHealth, type HealthAnswer } from "./health";
import type { HttpClient } from "./http";
import { queuesOf, regionOfQueueUrl, type StackOutputs } from "./outputs";
import { formatTable } from "./format";
import { withTimeout } from "./timing";

/** Messages in a queue, or why they could not be counted. */
export type Depth =
  | { readonly visible: number; readonly inFlight: number; readonly delayed: number }
  | { readonly error: string };

export interface QueueStatus {
  readonly role: QueueRole;
  readonly region: string;
  readonly queue: Depth;
  readonly dlq: Depth;
  readonly deliveryDlq?: Depth;
}

export interface StackStatus {
  readonly stack: string;
  readonly region: string;
  readonly health: HealthAnswer;
  readonly queues: readonly QueueStatus[];
}

export async function queueDepth(
  client: SQSClient,
  url: string,
  timeoutMs: number,
): Promise<Depth> {
  try {
    const answer = await withTimeout(timeoutMs, (abortSignal) =>
      client.send(
        new GetQueueAttributesCommand({
          QueueUrl: url,
          AttributeNames: [
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed",
          ],
        }),
        { abortSignal },
      ),
    );
    const count = (name: QueueAttributeName): number => Number(answer.Attributes?.[name] ?? 0);
    return {
      visible: count("ApproximateNumberOfMessages"),
      inFlight: count("ApproximateNumberOfMessagesNotVisible"),
      delayed: count("ApproximateNumberOfMessagesDelayed"),
    };
  } catch (err) {
    if (isFatalError(err)) throw err;
    return { error: describeError(err) };
  }
}

/** Reads the status of each stack; every call runs in parallel with its own time limit. */
export async function readStatus(options: {
  readonly stacks: readonly StackOutputs[];
  readonly sqs: (region: string) => SQSClient;
  readonly http: HttpClient;
  readonly timeoutMs: number;
}): Promise<StackStatus[]> {
  const { sqs, timeoutMs } = options;
  // Validate every stack's outputs before the first call, so a bad file fails fast.
  const plans = options.stacks.map((stack) => ({
    stack,
    region: stack.region(),
    healthUrl: stack.string("health_url"),
    queues: queuesOf(stack, true),
  }));
  const depth = (url: string, fallbackRegion: string): Promise<Depth> =>
    queueDepth(sqs(regionOfQueueUrl(url, fallbackRegion)), url, timeoutMs);
  return Promise.all(
    plans.map(async (plan) => {
      const [health, queues] = await Promise.all([
        checkHealth(options.http, plan.healthUrl, timeoutMs),
        Promise.all(
          plan.queues.map(async (queue): Promise<QueueStatus> => {
            const [queueDepthValue, dlq, deliveryDlq] = await Promise.all([
              depth(queue.url, queue.region),
              depth(queue.dlqUrl, queue.region),
              queue.deliveryDlqUrl === undefined
                ? Promise.resolve(undefined)
                : depth(queue.deliveryDlqUrl, plan.region),
            ]);
            return {
              role: queue.role,
              region: queue.region,
              queue: queueDepthValue,
              dlq,
              deliveryDlq,
            };
          }),
        ),
      ]);
      return { stack: plan.stack.name, region: plan.region, health, queues };
    }),
  );
}

function messages(n: number): string {
  return `${n} ${n === 1 ? "message" : "messages"}`;
}

function visible(depth: Depth | undefined): string {
  if (depth === undefined) return "-";
  return "error" in depth ? "error" : String(depth.visible);
}

/** True when a health check or a queue read failed. */
export function hasProblems(stacks: readonly StackStatus[]): boolean {
  return stacks.some(
    (s) =>
      !s.health.healthy ||
      s.queues.some((q) => [q.queue, q.dlq, q.deliveryDlq].some((d) => d && "error" in d)),
  );
}

export function formatStatus(stacks: readonly StackStatus[]): string {
  const healthRows = stacks.map((s) => [
    s.stack,
    s.region,
    s.health.healthy ? "ok" : "FAILING",
    s.health.status === undefined ? s.health.detail : `${s.health.status} ${s.health.detail}`,
  ]);
  const queueRows: string[][] = [];
  const notes: string[] = [];
  for (const s of stacks) {
    for (const q of s.queues) {
      const name = q.role;
      queueRows.push([
        s.stack,
        name,
        q.region,
        visible(q.queue),
        "error" in q.queue ? "error" : String(q.queue.inFlight),
        "error" in q.queue ? "error" : String(q.queue.delayed),
        visible(q.dlq),
        visible(q.deliveryDlq),
      ]);
      const where = `${s.stack} ${name} ${q.region}`;
      for (const [what, d] of [
        ["queue", q.queue],
        ["dlq", q.dlq],
        ["delivery dlq", q.deliveryDlq],
      ] as const) {
        if (d && "error" in d) notes.push(`${where} ${what}: ${d.error}`);
      }
      if (!("error" in q.dlq) && q.dlq.visible > 0) {
        notes.push(
          `${where}: ${messages(q.dlq.visible)} in the DLQ (fanout redrive --stack ${s.stack} --queue ${q.role === "active" ? "active" : q.region})`,
        );
      }
      if (q.deliveryDlq && !("error" in q.deliveryDlq) && q.deliveryDlq.visible > 0) {
        notes.push(
          `${where}: ${messages(q.deliveryDlq.visible)} SNS could not deliver (delivery DLQ)`,
        );
      }
    }
  }
  return [
    formatTable(["stack", "region", "health", "answer"], healthRows),
    "",
    formatTable(
      ["stack", "queue", "region", "messages", "in flight", "delayed", "dlq", "delivery dlq"],
      queueRows,
      [3, 4, 5, 6, 7],
    ),
    ...(notes.length > 0 ? ["", ...notes] : []),
  ].join("\n");
}
