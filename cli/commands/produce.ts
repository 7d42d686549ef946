/** `fanout produce` and `fanout load-test`: traffic to the stacks. */
import type { Command } from "commander";
import { EXIT } from "../errors";
import { formatLoadTestSummary, loadTest } from "../load-test";
import { formatDuration } from "../parse";
import { formatProduceSummary, produce } from "../produce";
import { barProgress, lineProgress } from "../progress";
import { targetLabel } from "../senders";
import type { CommandContext, SendOptions } from "./context";
import {
  addCommonOptions,
  addSendOptions,
  durationOption,
  intOption,
  maxAttemptsOption,
} from "./options";

interface ProduceCliOptions extends SendOptions {
  readonly interval: number;
  readonly count?: number;
  readonly duration?: number;
  readonly maxAttempts: number;
}

/** Sends of one message, to any stack, before `produce` gives it up. */
export const PRODUCE_MAX_ATTEMPTS = 10;

interface LoadTestCliOptions extends SendOptions {
  readonly messages: number;
  readonly concurrency: number;
  readonly maxAttempts: number;
}

export function produceCommand(program: Command, ctx: CommandContext): void {
  const { print } = ctx;
  addSendOptions(
    addCommonOptions(
      program
        .command("produce")
        .description(
          "Send one message per interval, printing each send; Ctrl-C stops with a summary",
        ),
    ),
  )
    .addOption(durationOption("--interval <duration>", "time between messages", 1000, "1s"))
    .addOption(
      intOption("--count <n>", "stop after this many messages (default: run until Ctrl-C)"),
    )
    .addOption(durationOption("--duration <duration>", "stop after this long, e.g. 30s or 5m"))
    .addOption(
      maxAttemptsOption(
        "sends of a message, to any stack, before it is given up",
        PRODUCE_MAX_ATTEMPTS,
      ),
    )
    .action(async (options: ProduceCliOptions) => {
      const { sender, controller, producer, targets, groups } = ctx.prepareSend(
        options,
        false,
        print,
      );
      print(
        `producing via ${options.via} to ${targets.map(targetLabel).join(" then ")}, one message every ${formatDuration(options.interval)}${groups ? `, ${groups.description}` : ""}`,
      );
      const result = await ctx.interruptible((stop) =>
        produce({
          controller,
          sender,
          producer,
          intervalMs: options.interval,
          count: options.count,
          durationMs: options.duration,
          timeoutMs: options.timeout,
          maxAttempts: options.maxAttempts,
          print,
          stop,
        }),
      );
      formatProduceSummary(result).forEach(print);
      const lost = result.undelivered.length + result.rejected.length + result.givenUp.length;
      ctx.exitCode = lost > 0 ? EXIT.failure : EXIT.ok;
    });
}

export function loadTestCommand(program: Command, ctx: CommandContext): void {
  const { print, deps } = ctx;
  addSendOptions(
    addCommonOptions(
      program
        .command("load-test")
        .description(
          "Send N messages as fast as the concurrency allows and report the rate and latency",
        ),
    ),
  )
    .addOption(intOption("--messages <n>", "messages to send", 500))
    .addOption(intOption("--concurrency <n>", "calls in flight at most", 10))
    .addOption(maxAttemptsOption("sends of a message to one stack before it is reported failed", 5))
    .action(async (options: LoadTestCliOptions) => {
      const progress = deps.stdout.isTTY ? barProgress(deps.stdout) : lineProgress(print);
      const { sender, controller, producer, targets, groups } = ctx.prepareSend(
        options,
        true,
        progress.log,
      );
      print(
        `load test: ${options.messages} messages via ${options.via} to ${targetLabel(targets[0])}, ` +
          `${sender.batchSize > 1 ? `batches of ${sender.batchSize}, ` : ""}concurrency ${options.concurrency}` +
          (groups ? `, ${groups.description}` : ""),
      );
      const result = await ctx.interruptible((stop) =>
        loadTest({
          controller,
          sender,
          producer,
          messages: options.messages,
          concurrency: options.concurrency,
          timeoutMs: options.timeout,
          maxAttempts: options.maxAttempts,
          progress,
          stop,
          random: deps.random,
        }),
      );
      formatLoadTestSummary(result, sender.batchSize).forEach(print);
      ctx.exitCode = result.interrupted
        ? EXIT.interrupted
        : result.failed.length > 0
          ? EXIT.failure
          : EXIT.ok;
    });
}
