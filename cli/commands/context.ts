/**
 * What every command of the `fanout` CLI shares: the outside world (`CliDeps`), printing, the
 * AWS clients made on first use, the outputs file, the stack a command works on, the set-up of
 * sending (targets, sender, failover) and Ctrl-C handling. One `CommandContext` per run.
 */
import { hostname } from "node:os";
import type { MessageAttributes } from "../attributes";
import type { AwsClients, Credentials } from "../aws";
import { EXIT, UsageError } from "../errors";
import { FailoverController } from "../failover-controller";
import type { HttpClient } from "../http";
import { messageGroupsFor, type MessageGroupOptions } from "../message-groups";
import { OutputsFile, type StackOutputs } from "../outputs";
import { createSender, targetOf, type Via } from "../senders";

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

/** Options every command has (see `addCommonOptions`). */
export interface CommonOptions {
  readonly outputs: string;
  readonly stacks?: string[];
}

/** Options of the commands that send messages (see `addSendOptions`). */
export interface SendOptions extends CommonOptions, MessageGroupOptions {
  readonly stack?: string;
  readonly via: Via;
  readonly producer?: string;
  readonly timeout: number;
  readonly failover?: boolean;
  readonly failoverAfter: number;
  readonly failBack?: boolean;
  readonly failBackAfter: number;
  readonly healthInterval: number;
  /** Message attributes of every message (`--attribute`, repeated). */
  readonly attribute?: MessageAttributes;
}

export class CommandContext {
  /** The run's exit code, set by the command that ran. */
  exitCode: number = EXIT.ok;
  private clients: AwsClients | undefined;
  private endpoints: Readonly<Record<string, string>> = {};

  constructor(readonly deps: CliDeps) {}

  readonly print = (line: string): void => {
    this.deps.stdout.write(`${line}\n`);
  };

  readonly printErr = (line: string): void => {
    this.deps.stderr.write(`${line}\n`);
  };

  /** The AWS clients, made on first use with the endpoints of the outputs file read last. */
  aws(): AwsClients {
    return (this.clients ??= this.deps.aws(this.endpoints));
  }

  /** Reads the outputs file; answers it and the stacks of --stacks in preference order. */
  load(options: CommonOptions): { file: OutputsFile; stacks: StackOutputs[] } {
    const file = OutputsFile.load(options.outputs, this.deps.readFile);
    this.endpoints = file.endpoints;
    return { file, stacks: file.ordered(options.stacks) };
  }

  /** The stack named by --stack (which must be among --stacks, when given), else the first. */
  pickStack(stacks: StackOutputs[], file: OutputsFile, name?: string): StackOutputs {
    if (name === undefined) return stacks[0];
    const stack = file.stack(name);
    if (!stacks.includes(stack)) {
      throw new UsageError(
        `--stack ${name} is not among --stacks ${stacks.map((s) => s.name).join(",")}`,
      );
    }
    return stack;
  }

  /** Shared set-up of produce, load-test and drill: targets in preference order, sender, failover. */
  prepareSend(options: SendOptions, batch: boolean, log: (line: string) => void) {
    if (options.failBack && !options.failover) {
      throw new UsageError("--fail-back needs --failover");
    }
    const { file, stacks } = this.load(options);
    const first = this.pickStack(stacks, file, options.stack);
    const ordered = options.failover ? [first, ...stacks.filter((s) => s !== first)] : [first];
    if (options.failover && ordered.length < 2) {
      throw new UsageError("--failover needs at least two stacks");
    }
    // Only the first stack's health endpoint is polled (for fail-back).
    const targets = ordered.map((stack, i) =>
      targetOf(stack, options.via, options.failBack === true && i === 0),
    );
    const { deps } = this;
    const producer = options.producer ?? deps.producerId ?? `${hostname()}-${process.pid}`;
    // FIFO units take no message without a group (failover targets share the fifo setting).
    const groups = messageGroupsFor(ordered, options, producer);
    const sender = createSender(
      options.via,
      { aws: this.aws(), http: deps.http, credentials: deps.credentials },
      batch,
      options.attribute,
      groups,
    );
    const failBack = options.failBack
      ? {
          http: deps.http,
          intervalMs: options.healthInterval,
          timeoutMs: options.timeout,
          healthyChecks: options.failBackAfter,
        }
      : undefined;
    return {
      targets,
      sender,
      controller: new FailoverController(targets, options.failoverAfter, log, failBack),
      producer,
      groups,
    };
  }

  /** Runs `work` with a stop signal that Ctrl-C aborts. */
  async interruptible<T>(work: (stop: AbortSignal) => Promise<T>): Promise<T> {
    const stop = new AbortController();
    const off = this.deps.onInterrupt(() => {
      if (!stop.signal.aborted) {
        this.printErr("stopping (Ctrl-C again to quit at once)");
        stop.abort();
      }
    });
    try {
      return await work(stop.signal);
    } finally {
      off();
    }
  }

  /** Releases the AWS clients, when any were made. */
  close(): void {
    this.clients?.destroy();
  }
}
