/**
 * Moves the messages of a queue's dead-letter queue back to the queue they came from, with an
 * SQS message move task (the same mechanism as the console's "Start DLQ redrive").
 */
import {
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  StartMessageMoveTaskCommand,
  type ListMessageMoveTasksResultEntry,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { CliError, UsageError } from "./errors";
import { queuesOf, regionOfQueueUrl, type QueueInfo, type StackOutputs } from "./outputs";
import { sleep } from "./timing";

/** The queue of a stack named by `--queue`: `active`, or a region (a replica's, or home = active). */
export function pickQueue(stack: StackOutputs, name: string): QueueInfo {
  const queues = queuesOf(stack);
  const found = name === "active" ? queues[0] : queues.find((queue) => queue.region === name);
  if (!found) {
    const allowed = ["active", ...queues.map((queue) => queue.region)].join(", ");
    throw new UsageError(`stack "${stack.name}" has no queue "${name}" (use one of: ${allowed})`);
  }
  return found;
}

export interface RedriveOptions {
  readonly sqs: (region: string) => SQSClient;
  readonly dlqUrl: string;
  /** Region of the DLQ when its URL does not tell. */
  readonly region: string;
  /** Messages per second the task may move; SQS picks when absent. */
  readonly maxPerSecond?: number;
  /** Poll the task until it ends. */
  readonly wait: boolean;
  readonly pollIntervalMs: number;
  readonly print: (line: string) => void;
  /** Stops the polling (the task itself goes on). */
  readonly stop: AbortSignal;
}

const DONE = new Set(["COMPLETED", "CANCELLED", "FAILED"]);

function describeTask(task: ListMessageMoveTasksResultEntry): string {
  const moved = task.ApproximateNumberOfMessagesMoved ?? 0;
  const total = task.ApproximateNumberOfMessagesToMove;
  return `${task.Status ?? "UNKNOWN"}: ${moved}${total === undefined ? "" : ` of ${total}`} moved`;
}

/** Starts the move task and, with `wait`, polls it until it completes; answers its last state. */
export async function redrive(
  options: RedriveOptions,
): Promise<ListMessageMoveTasksResultEntry | undefined> {
  const { print } = options;
  const client = options.sqs(regionOfQueueUrl(options.dlqUrl, options.region));
  const attributes = await client.send(
    new GetQueueAttributesCommand({
      QueueUrl: options.dlqUrl,
      AttributeNames: ["QueueArn", "ApproximateNumberOfMessages"],
    }),
  );
  const sourceArn = attributes.Attributes?.QueueArn;
  if (!sourceArn) throw new CliError(`queue ${options.dlqUrl} did not report its QueueArn`);
  const depth = attributes.Attributes?.ApproximateNumberOfMessages ?? "?";
  print(`dead-letter queue ${sourceArn} holds about ${depth} messages`);

  const started = await client.send(
    new StartMessageMoveTaskCommand({
      SourceArn: sourceArn,
      MaxNumberOfMessagesPerSecond: options.maxPerSecond,
    }),
  );
  print(
    `started message move task back to the source queue: ${started.TaskHandle ?? "(no handle)"}`,
  );
  if (!options.wait) return undefined;

  let last: ListMessageMoveTasksResultEntry | undefined;
  for (;;) {
    const answer = await client.send(
      new ListMessageMoveTasksCommand({ SourceArn: sourceArn, MaxResults: 10 }),
    );
    const tasks = answer.Results ?? [];
    // Newest first; only a running task reports its handle.
    last = tasks.find((task) => task.TaskHandle === started.TaskHandle) ?? tasks[0];
    if (!last) throw new CliError(`no message move task found for ${sourceArn}`);
    print(describeTask(last));
    if (DONE.has(last.Status ?? "")) break;
    await sleep(options.pollIntervalMs, options.stop);
    if (options.stop.aborted) {
      print("stopped watching; the move task goes on in SQS");
      return last;
    }
  }
  if (last.Status !== "COMPLETED") {
    const reason = last.FailureReason ?? "no reason given";
    throw new CliError(`message move task ended ${last.Status}: ${reason}`);
  }
  return last;
}
