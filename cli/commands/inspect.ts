/** `fanout latency`, `fanout redrive` and `fanout status`: reading and repairing the stacks. */
import { Option, type Command } from "commander";
import { EXIT } from "../errors";
import { formatLatencyReport, readLatency, serviceOf } from "../latency";
import { parsePositiveNumber } from "../parse";
import { pickQueue, redrive } from "../redrive";
import { formatStatus, hasProblems, readStatus } from "../status";
import type { CommandContext, CommonOptions } from "./context";
import { addCommonOptions, durationOption } from "./options";

interface LatencyCliOptions extends CommonOptions {
  readonly stack?: string;
  readonly since: number;
  readonly service?: string;
}

interface RedriveCliOptions extends CommonOptions {
  readonly stack?: string;
  readonly queue: string;
  readonly rate?: number;
  readonly wait: boolean;
  readonly pollInterval: number;
}

interface StatusCliOptions extends CommonOptions {
  readonly timeout: number;
}

export function latencyCommand(program: Command, ctx: CommandContext): void {
  addCommonOptions(
    program
      .command("latency")
      .description(
        "Per-leg latency percentiles of each queue of a stack, and the cross-region lag",
      ),
  )
    .addOption(new Option("--stack <name>", "stack to report on (default: the first stack)"))
    .addOption(
      durationOption("--since <duration>", "window ending now, e.g. 15m or 1h", 15 * 60_000, "15m"),
    )
    .addOption(
      new Option(
        "--service <name>",
        "metric service dimension (default: topic_name without -topic)",
      ),
    )
    .action(async (options: LatencyCliOptions) => {
      const { file, stacks } = ctx.load(options);
      const stack = ctx.pickStack(stacks, file, options.stack);
      const report = await readLatency({
        stack,
        service: serviceOf(stack, options.service),
        sinceMs: options.since,
        cloudWatch: (region) => ctx.aws().cloudWatch(region),
      });
      ctx.print(formatLatencyReport(report));
      ctx.exitCode = report.queues.some((q) => q.error) ? EXIT.failure : EXIT.ok;
    });
}

export function redriveCommand(program: Command, ctx: CommandContext): void {
  addCommonOptions(
    program
      .command("redrive")
      .description("Move a queue's dead-letter messages back to the queue (SQS message move task)"),
  )
    .addOption(new Option("--stack <name>", "stack of the queue (default: the first stack)"))
    .addOption(
      new Option(
        "--queue <active|region>",
        "the active queue, or the replica in a region",
      ).makeOptionMandatory(),
    )
    .addOption(
      new Option(
        "--rate <n>",
        "messages per second to move at most (default: chosen by SQS)",
      ).argParser(parsePositiveNumber),
    )
    .addOption(new Option("--no-wait", "start the task and return without watching it"))
    .addOption(
      durationOption("--poll-interval <duration>", "time between progress checks", 5000, "5s"),
    )
    .action(async (options: RedriveCliOptions) => {
      const { file, stacks } = ctx.load(options);
      const stack = ctx.pickStack(stacks, file, options.stack);
      const queue = pickQueue(stack, options.queue);
      ctx.print(`redrive of stack ${stack.name}, ${queue.role} queue in ${queue.region}`);
      await ctx.interruptible((stop) =>
        redrive({
          sqs: (region) => ctx.aws().sqs(region),
          dlqUrl: queue.dlqUrl,
          region: queue.region,
          maxPerSecond: options.rate,
          wait: options.wait,
          pollIntervalMs: options.pollInterval,
          print: ctx.print,
          stop,
        }),
      );
    });
}

export function statusCommand(program: Command, ctx: CommandContext): void {
  addCommonOptions(
    program
      .command("status")
      .description(
        "Health endpoint of every stack and the depth of every queue and dead-letter queue",
      ),
  )
    .addOption(durationOption("--timeout <duration>", "time limit of each call", 5000, "5s"))
    .action(async (options: StatusCliOptions) => {
      const { stacks } = ctx.load(options);
      const status = await readStatus({
        stacks,
        sqs: (region) => ctx.aws().sqs(region),
        http: ctx.deps.http,
        timeoutMs: options.timeout,
      });
      ctx.print(formatStatus(status));
      ctx.exitCode = hasProblems(status) ? EXIT.failure : EXIT.ok;
    });
}
