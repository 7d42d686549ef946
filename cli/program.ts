/**
 * The `fanout` command line: option parsing (commander) and the wiring of each command to its
 * module. Everything it touches from the outside (streams, AWS clients, HTTP, credentials, Ctrl-C)
 * comes in through `CliDeps`, so tests run it in-process.
 */
import { exec } from "node:child_process";
import { hostname } from "node:os";
import { Command, CommanderError, Option } from "commander";
import type { AwsClients, Credentials } from "./aws";
import {
  commandDrillEnvironment,
  defaultSettleTimeoutMs,
  drill,
  drillPassed,
  formatDrillReport,
  localDrillEnvironment,
  type DrillEnvironment,
} from "./drill";
import { describeError, EXIT, exitCodeOf, UsageError } from "./errors";
import { FailoverController } from "./failover-controller";
import type { HttpClient } from "./http";
import { formatLatencyReport, readLatency, serviceOf } from "./latency";
import { formatLoadTestSummary, loadTest } from "./load-test";
import { DEFAULT_OUTPUTS_FILE, OUTPUTS_ENV, OutputsFile, type StackOutputs } from "./outputs";
import {
  formatDuration,
  parseDuration,
  parseNameList,
  parsePositiveInt,
  parsePositiveNumber,
} from "./parse";
import { formatProduceSummary, produce } from "./produce";
import { barProgress, lineProgress } from "./progress";
import { pickQueue, redrive } from "./redrive";
import { createSender, targetLabel, targetOf, VIAS, type Via } from "./senders";
import { formatStatus, hasProblems, readStatus } from "./status";

export interface CliDeps {
  /** Where results go; a progress bar is drawn when it is a terminal. */
  readonly stdout: NodeJS.WritableStream & { readonly isTTY?: boolean };
  /** Where errors go. */
  readonly stderr: { write(text: string): unknown };
  /**
   * AWS clients, given the outputs file's region -> endpoint map (empty for AWS itself); called
   * at most once per run, on first use, after the outputs file is read.
   */
  readonly aws: (endpoints: Readonly<Record<string, string>>) => AwsClients;
  /** Credentials for signing API calls. */
  readonly credentials: () => Credentials;
  readonly http: HttpClient;
  /** Registers a Ctrl-C handler; answers a function that removes it. */
  readonly onInterrupt: (handler: () => void) => () => void;
  /** Reads the outputs file. @default - node:fs readFileSync */
  readonly readFile?: (path: string) => string;
  /** Default producer id. @default - `<hostname>-<pid>` */
  readonly producerId?: string;
  /** Source of the backoff jitter. @default - Math.random */
  readonly random?: () => number;
  /**
   * Runs an operator's shell command (the drill's region switch on real AWS), with
   * `FANOUT_REGION` set. @default - /bin/sh through node:child_process
   */
  readonly runCommand?: (command: string, region: string) => Promise<void>;
}

interface CommonOptions {
  readonly outputs: string;
  readonly stacks?: string[];
}

interface SendOptions extends CommonOptions {
  readonly stack?: string;
  readonly via: Via;
  readonly producer?: string;
  readonly timeout: number;
  readonly failover?: boolean;
  readonly failoverAfter: number;
  readonly failBack?: boolean;
  readonly healthInterval: number;
}

interface ProduceCliOptions extends SendOptions {
  readonly interval: number;
  readonly count?: number;
  readonly duration?: number;
}

interface LoadTestCliOptions extends SendOptions {
  readonly messages: number;
  readonly concurrency: number;
  readonly maxAttempts: number;
}

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
  readonly timeout: number;
  readonly producer?: string;
  readonly allowRealAws?: boolean;
  readonly downCommand?: string;
  readonly upCommand?: string;
}

interface StatusCliOptions extends CommonOptions {
  readonly timeout: number;
}

function durationOption(
  flags: string,
  description: string,
  defaultMs?: number,
  shown?: string,
): Option {
  const option = new Option(flags, description).argParser(parseDuration);
  return defaultMs === undefined ? option : option.default(defaultMs, shown);
}

function intOption(flags: string, description: string, defaultValue?: number): Option {
  const option = new Option(flags, description).argParser(parsePositiveInt);
  return defaultValue === undefined ? option : option.default(defaultValue);
}

function addCommonOptions(command: Command): Command {
  return command
    .addOption(
      new Option("--outputs <file>", "stack outputs file written by cdktf deploy --outputs-file")
        .default(DEFAULT_OUTPUTS_FILE)
        .env(OUTPUTS_ENV),
    )
    .addOption(
      new Option(
        "--stacks <names>",
        "stacks to use, comma-separated, in preference order (default: the file's order)",
      ).argParser(parseNameList),
    );
}

function addSendOptions(command: Command): Command {
  return command
    .addOption(new Option("--stack <name>", "stack to send to (default: the first stack)"))
    .addOption(
      new Option(
        "--via <path>",
        "sns: publish to the topic; api: signed POST /messages; sqs: straight to the active queue",
      )
        .choices(VIAS)
        .default("sns"),
    )
    .addOption(
      new Option(
        "--producer <id>",
        "producer id written into each message (default: <host>-<pid>)",
      ),
    )
    .addOption(
      durationOption(
        "--timeout <duration>",
        "time limit of one call; a timeout counts as a failure",
        5000,
        "5s",
      ),
    )
    .addOption(new Option("--failover", "switch to the next stack after repeated failures"))
    .addOption(intOption("--failover-after <n>", "consecutive failures that trigger a failover", 3))
    .addOption(
      new Option(
        "--fail-back",
        "return to the first stack when its health check answers 200 (needs --failover)",
      ),
    )
    .addOption(
      durationOption(
        "--health-interval <duration>",
        "time between health checks of the first stack with --fail-back",
        5000,
        "5s",
      ),
    );
}

const HELP_FOOTER = `
Every command reads the stack outputs file (--outputs, else $${OUTPUTS_ENV}, else
./${DEFAULT_OUTPUTS_FILE}), written by:
  cdktf deploy primary secondary --outputs-file ${DEFAULT_OUTPUTS_FILE}
A top-level "_endpoints" object in it ({"<region>": "<url>"}) sends that region's AWS calls to an
AWS-compatible endpoint instead (the local deployment writes one: .local/outputs.json).

Credentials come from the AWS SDK's default chain (environment, profile, SSO, role).
Exit codes: 0 ok, 1 failure at run time, 2 bad command line or input file, 130 stopped by Ctrl-C.`;

function runShellCommand(command: string, region: string): Promise<void> {
  return new Promise((resolve, reject) => {
    exec(command, { env: { ...process.env, FANOUT_REGION: region } }, (error, _out, stderr) => {
      if (error) reject(new Error(`${command}: ${stderr.trim() || error.message}`));
      else resolve();
    });
  });
}

/** Runs the CLI on `argv` (arguments after the program name); answers the exit code. */
export async function runCli(argv: readonly string[], deps: CliDeps): Promise<number> {
  const print = (line: string): void => {
    deps.stdout.write(`${line}\n`);
  };
  const printErr = (line: string): void => {
    deps.stderr.write(`${line}\n`);
  };
  let clients: AwsClients | undefined;
  let endpoints: Readonly<Record<string, string>> = {};
  const aws = (): AwsClients => (clients ??= deps.aws(endpoints));
  let exitCode: number = EXIT.ok;

  const load = (options: CommonOptions): { file: OutputsFile; stacks: StackOutputs[] } => {
    const file = OutputsFile.load(options.outputs, deps.readFile);
    endpoints = file.endpoints;
    return { file, stacks: file.ordered(options.stacks) };
  };
  /** The stack named by --stack (which must be among --stacks, when given), else the first. */
  const pickStack = (stacks: StackOutputs[], file: OutputsFile, name?: string): StackOutputs => {
    if (name === undefined) return stacks[0];
    const stack = file.stack(name);
    if (!stacks.includes(stack)) {
      throw new UsageError(
        `--stack ${name} is not among --stacks ${stacks.map((s) => s.name).join(",")}`,
      );
    }
    return stack;
  };

  /** Shared set-up of produce and load-test: targets in preference order, sender, failover. */
  const prepareSend = (options: SendOptions, batch: boolean, log: (line: string) => void) => {
    if (options.failBack && !options.failover) {
      throw new UsageError("--fail-back needs --failover");
    }
    const { file, stacks } = load(options);
    const first = pickStack(stacks, file, options.stack);
    const ordered = options.failover ? [first, ...stacks.filter((s) => s !== first)] : [first];
    if (options.failover && ordered.length < 2) {
      throw new UsageError("--failover needs at least two stacks");
    }
    // Only the first stack's health endpoint is polled (for fail-back).
    const targets = ordered.map((stack, i) =>
      targetOf(stack, options.via, options.failBack === true && i === 0),
    );
    const sender = createSender(
      options.via,
      { aws: aws(), http: deps.http, credentials: deps.credentials },
      batch,
    );
    const failBack = options.failBack
      ? { http: deps.http, intervalMs: options.healthInterval, timeoutMs: options.timeout }
      : undefined;
    return {
      targets,
      sender,
      controller: new FailoverController(targets, options.failoverAfter, log, failBack),
      producer: options.producer ?? deps.producerId ?? `${hostname()}-${process.pid}`,
    };
  };

  /** Runs `work` with a stop signal that Ctrl-C aborts. */
  const interruptible = async <T>(work: (stop: AbortSignal) => Promise<T>): Promise<T> => {
    const stop = new AbortController();
    const off = deps.onInterrupt(() => {
      if (!stop.signal.aborted) {
        printErr("stopping (Ctrl-C again to quit at once)");
        stop.abort();
      }
    });
    try {
      return await work(stop.signal);
    } finally {
      off();
    }
  };

  const program = new Command("fanout")
    .description("Drive and inspect the multi-region SNS -> SQS fan-out stacks")
    .exitOverride()
    .configureOutput({
      writeOut: (text) => deps.stdout.write(text),
      writeErr: (text) => deps.stderr.write(text),
      // Keep commander's suggestion on the error's own line.
      outputError: (text, write) => write(text.replace(/\n\(Did you mean/g, " (did you mean")),
    })
    .addHelpText("after", HELP_FOOTER);

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
    .action(async (options: ProduceCliOptions) => {
      const { sender, controller, producer, targets } = prepareSend(options, false, print);
      print(
        `producing via ${options.via} to ${targets.map(targetLabel).join(" then ")}, one message every ${formatDuration(options.interval)}`,
      );
      const result = await interruptible((stop) =>
        produce({
          controller,
          sender,
          producer,
          intervalMs: options.interval,
          count: options.count,
          durationMs: options.duration,
          timeoutMs: options.timeout,
          print,
          stop,
        }),
      );
      formatProduceSummary(result).forEach(print);
      exitCode = result.undelivered.length + result.rejected.length > 0 ? EXIT.failure : EXIT.ok;
    });

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
    .addOption(
      intOption(
        "--max-attempts <n>",
        "sends of a message to one stack before it is reported failed",
        5,
      ),
    )
    .action(async (options: LoadTestCliOptions) => {
      const progress = deps.stdout.isTTY ? barProgress(deps.stdout) : lineProgress(print);
      const { sender, controller, producer, targets } = prepareSend(options, true, progress.log);
      print(
        `load test: ${options.messages} messages via ${options.via} to ${targetLabel(targets[0])}, ` +
          `${sender.batchSize > 1 ? `batches of ${sender.batchSize}, ` : ""}concurrency ${options.concurrency}`,
      );
      const result = await interruptible((stop) =>
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
      exitCode = result.interrupted
        ? EXIT.interrupted
        : result.failed.length > 0
          ? EXIT.failure
          : EXIT.ok;
    });

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
      const { file, stacks } = load(options);
      const stack = pickStack(stacks, file, options.stack);
      const report = await readLatency({
        stack,
        service: serviceOf(stack, options.service),
        sinceMs: options.since,
        cloudWatch: (region) => aws().cloudWatch(region),
      });
      print(formatLatencyReport(report));
      exitCode = report.queues.some((q) => q.error) ? EXIT.failure : EXIT.ok;
    });

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
      const { file, stacks } = load(options);
      const stack = pickStack(stacks, file, options.stack);
      const queue = pickQueue(stack, options.queue);
      print(`redrive of stack ${stack.name}, ${queue.role} queue in ${queue.region}`);
      await interruptible((stop) =>
        redrive({
          sqs: (region) => aws().sqs(region),
          dlqUrl: queue.dlqUrl,
          region: queue.region,
          maxPerSecond: options.rate,
          wait: options.wait,
          pollIntervalMs: options.pollInterval,
          print,
          stop,
        }),
      );
    });

  addCommonOptions(
    program
      .command("drill")
      .description(
        "Region-failure drill: a paced load test through the APIs with failover and fail-back while the home region goes down and comes back; reports where every message went",
      ),
  )
    .addOption(new Option("--stack <name>", "home stack whose region fails (default: the first)"))
    .addOption(intOption("--messages <n>", "messages to send", 300))
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
      durationOption(
        "--health-interval <duration>",
        "time between health checks of the home stack",
        1000,
        "1s",
      ),
    )
    .addOption(durationOption("--timeout <duration>", "time limit of one call", 2000, "2s"))
    .addOption(new Option("--producer <id>", "producer id written into each message"))
    .addOption(
      new Option(
        "--allow-real-aws",
        "run against AWS (no local runtime): --down-command and --up-command switch the region",
      ),
    )
    .addOption(
      new Option("--down-command <cmd>", "shell command that cuts the region $FANOUT_REGION off"),
    )
    .addOption(new Option("--up-command <cmd>", "shell command that brings it back"))
    .action(async (options: DrillCliOptions) => {
      const { file, stacks } = load(options);
      const home = pickStack(stacks, file, options.stack);
      let environment: DrillEnvironment;
      if (file.local) {
        environment = localDrillEnvironment(file.local.controlUrl);
      } else if (!options.allowRealAws) {
        throw new UsageError(
          `outputs file ${file.path} describes no local deployment ("_local"); a drill takes a region down, so against AWS it needs --allow-real-aws with --down-command and --up-command`,
        );
      } else if (!options.downCommand || !options.upCommand) {
        throw new UsageError("--allow-real-aws needs --down-command and --up-command");
      } else {
        environment = commandDrillEnvironment(
          deps.runCommand ?? runShellCommand,
          options.downCommand,
          options.upCommand,
        );
      }
      const progress = lineProgress(print);
      const { sender, controller, producer, targets } = prepareSend(
        {
          ...options,
          via: "api",
          failover: true,
          failBack: true,
        },
        false,
        progress.log,
      );
      const followed = targets.map((t) => file.stack(t.stack));
      const settleTimeoutMs =
        options.settleTimeout ?? (await defaultSettleTimeoutMs(followed, (r) => aws().sqs(r)));
      print(
        `drill: ${options.messages} messages at ${options.rate}/s via api to ${targets.map(targetLabel).join(" then ")}; ` +
          `${home.region()} goes down after ${formatDuration(options.downAfter)} for ${formatDuration(options.downFor)}`,
      );
      const result = await interruptible((stop) =>
        drill({
          home,
          stacks: followed,
          environment,
          runLoad: () =>
            loadTest({
              controller,
              sender,
              producer,
              messages: options.messages,
              concurrency: options.concurrency,
              timeoutMs: options.timeout,
              maxAttempts: 2 * options.failoverAfter,
              ratePerSecond: options.rate,
              progress,
              stop,
              random: deps.random,
            }),
          downAfterMs: options.downAfter,
          downForMs: options.downFor,
          settleTimeoutMs,
          print,
          stop,
        }),
      );
      formatDrillReport(result).forEach(print);
      exitCode = drillPassed(result) ? EXIT.ok : EXIT.failure;
    });

  addCommonOptions(
    program
      .command("status")
      .description(
        "Health endpoint of every stack and the depth of every queue and dead-letter queue",
      ),
  )
    .addOption(durationOption("--timeout <duration>", "time limit of each call", 5000, "5s"))
    .action(async (options: StatusCliOptions) => {
      const { stacks } = load(options);
      const status = await readStatus({
        stacks,
        sqs: (region) => aws().sqs(region),
        http: deps.http,
        timeoutMs: options.timeout,
      });
      print(formatStatus(status));
      exitCode = hasProblems(status) ? EXIT.failure : EXIT.ok;
    });

  try {
    await program.parseAsync([...argv], { from: "user" });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander printed its message (or the help) already.
      if (err.code === "commander.helpDisplayed" || err.code === "commander.version")
        return EXIT.ok;
      if (err.code === "commander.help") return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
      return EXIT.usage;
    }
    printErr(`error: ${describeError(err)}`);
    return exitCodeOf(err);
  } finally {
    clients?.destroy();
  }
}
