/** `fanout drill`: a region-failure drill under load, with failover and fail-back. */
import { exec } from "node:child_process";
import { Option, type Command } from "commander";
import {
  commandDrillEnvironment,
  defaultSettleTimeoutMs,
  drill,
  drillPassed,
  formatDrillReport,
  localDrillEnvironment,
  type DrillEnvironment,
} from "../drill";
import type { MessageAttributes } from "../attributes";
import { DEFAULT_FAIL_BACK_AFTER } from "../failover-controller";
import { EXIT, UsageError } from "../errors";
import { loadTest } from "../load-test";
import type { OutputsFile } from "../outputs";
import { formatDuration, parsePositiveNumber } from "../parse";
import { lineProgress } from "../progress";
import { targetLabel } from "../senders";
import { filteredQueueArns } from "../subscriptions";
import type { CommandContext, CommonOptions } from "./context";
import {
  addCommonOptions,
  addMessageGroupOptions,
  attributeOption,
  durationOption,
  intOption,
} from "./options";

interface DrillCliOptions extends CommonOptions {
  readonly stack?: string;
  readonly messages: number;
  readonly rate: number;
  readonly concurrency: number;
  readonly downAfter: number;
  readonly downFor: number;
  readonly settleTimeout?: number;
  readonly failoverAfter: number;
  readonly healthInterval: number;
  readonly failBackAfter: number;
  readonly timeout: number;
  readonly producer?: string;
  readonly allowRealAws?: boolean;
  readonly downCommand?: string;
  readonly upCommand?: string;
  readonly attribute?: MessageAttributes;
  readonly messageGroupId?: string;
  readonly messageGroups?: number;
}

function runShellCommand(command: string, region: string): Promise<void> {
  return new Promise((resolve, reject) => {
    exec(command, { env: { ...process.env, FANOUT_REGION: region } }, (error, _out, stderr) => {
      if (error) reject(new Error(`${command}: ${stderr.trim() || error.message}`));
      else resolve();
    });
  });
}

/** How the drill takes the region down: the local runtime, or the operator's commands on AWS. */
function drillEnvironment(
  file: OutputsFile,
  options: DrillCliOptions,
  ctx: CommandContext,
): DrillEnvironment {
  if (file.local) return localDrillEnvironment(file.local.controlUrl);
  if (!options.allowRealAws) {
    throw new UsageError(
      `outputs file ${file.path} describes no local deployment ("_local"); a drill takes a region down, so against AWS it needs --allow-real-aws with --down-command and --up-command`,
    );
  }
  if (!options.downCommand || !options.upCommand) {
    throw new UsageError("--allow-real-aws needs --down-command and --up-command");
  }
  return commandDrillEnvironment(
    ctx.deps.runCommand ?? runShellCommand,
    options.downCommand,
    options.upCommand,
  );
}

function addDrillOptions(command: Command): Command {
  return addMessageGroupOptions(command)
    .addOption(new Option("--stack <name>", "home stack whose region fails (default: the first)"))
    .addOption(intOption("--messages <n>", "messages to send", 450))
    .addOption(
      new Option("--rate <n>", "messages per second").argParser(parsePositiveNumber).default(30),
    )
    .addOption(intOption("--concurrency <n>", "calls in flight at most", 4))
    .addOption(durationOption("--down-after <duration>", "home region goes down after", 2000, "2s"))
    .addOption(durationOption("--down-for <duration>", "and stays down for", 5000, "5s"))
    .addOption(
      durationOption(
        "--settle-timeout <duration>",
        "longest wait for every message to reach every queue of its unit (default: the queues' longest visibility timeout + 30s: a receive the outage cut off returns after it)",
      ),
    )
    .addOption(intOption("--failover-after <n>", "consecutive failures that trigger a failover", 3))
    .addOption(
      intOption(
        "--fail-back-after <n>",
        "healthy checks in a row before returning to the home stack",
        DEFAULT_FAIL_BACK_AFTER,
      ),
    )
    .addOption(
      durationOption(
        "--health-interval <duration>",
        "time between health checks of the home stack",
        1000,
        "1s",
      ),
    )
    .addOption(durationOption("--timeout <duration>", "time limit of one call", 5000, "5s"))
    .addOption(new Option("--producer <id>", "producer id written into each message"))
    .addOption(attributeOption())
    .addOption(
      new Option(
        "--allow-real-aws",
        "run against AWS (no local runtime): --down-command and --up-command switch the region",
      ),
    )
    .addOption(
      new Option("--down-command <cmd>", "shell command that cuts the region $FANOUT_REGION off"),
    )
    .addOption(new Option("--up-command <cmd>", "shell command that brings it back"));
}

export function drillCommand(program: Command, ctx: CommandContext): void {
  const { print } = ctx;
  addDrillOptions(
    addCommonOptions(
      program
        .command("drill")
        .description(
          "Region-failure drill: a paced load test through the APIs with failover and fail-back while the home region goes down and comes back; reports where every message went",
        ),
    ),
  ).action(async (options: DrillCliOptions) => {
    const { file, stacks } = ctx.load(options);
    const home = ctx.pickStack(stacks, file, options.stack);
    const environment = drillEnvironment(file, options, ctx);
    const progress = lineProgress(print);
    const { targets, groups, ...send } = ctx.prepareSend(
      { ...options, via: "api", failover: true, failBack: true },
      false,
      progress.log,
    );
    const followed = targets.map((t) => file.stack(t.stack));
    const settleTimeoutMs =
      options.settleTimeout ?? (await defaultSettleTimeoutMs(followed, (r) => ctx.aws().sqs(r)));
    // Only where deliveries are recorded: a filtered queue then lacks, not loses, a message.
    const filteredQueues = file.local
      ? await filteredQueueArns(followed, (r) => ctx.aws().sns(r))
      : undefined;
    print(
      `drill: ${options.messages} messages at ${options.rate}/s via api to ${targets.map(targetLabel).join(" then ")}${groups ? `, ${groups.description}` : ""}; ` +
        `${home.region()} goes down after ${formatDuration(options.downAfter)} for ${formatDuration(options.downFor)}`,
    );
    const result = await ctx.interruptible((stop) =>
      drill({
        home,
        stacks: followed,
        environment,
        runLoad: () =>
          loadTest({
            ...send,
            messages: options.messages,
            concurrency: options.concurrency,
            timeoutMs: options.timeout,
            maxAttempts: 2 * options.failoverAfter,
            ratePerSecond: options.rate,
            progress,
            stop,
            random: ctx.deps.random,
          }),
        downAfterMs: options.downAfter,
        downForMs: options.downFor,
        settleTimeoutMs,
        filteredQueues,
        print,
        stop,
      }),
    );
    formatDrillReport(result).forEach(print);
    ctx.exitCode = drillPassed(result) ? EXIT.ok : EXIT.failure;
  });
}
