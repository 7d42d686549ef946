/**
 * The local Lambda service for one deployed function: extracts its deployment package, runs
 * execution environments as child Node processes of the bootstrap (`bootstrap.ts`), one
 * invocation per environment at a time, and does what CloudWatch Logs does with their output:
 * every line goes to the function's log file, and every EMF line becomes PutMetricData calls in
 * the function's region.
 */
import { fork, type ChildProcess } from "node:child_process";
import { createHash, randomBytes, randomUUID } from "node:crypto";
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { dirname, join, resolve, sep } from "node:path";
import { CloudWatchClient, PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { buildSync } from "esbuild";
import { unzipSync } from "fflate";
import { PROJECT_ROOT, localLayout } from "../layout";
import { DONE_MARKER, type ChildMessage, type InvokeMessage } from "./bootstrap";
import { parseEmf } from "./emf";
import type { DeployedFunction, FunctionInvoker, InvokeResult } from "./types";

/** Credentials the execution environments (and the metric forwarder) present to the emulator. */
export interface LocalCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** Dummy credentials: the emulator accepts any. */
export const DEFAULT_CREDENTIALS: LocalCredentials = {
  accessKeyId: "test",
  secretAccessKey: "test",
  sessionToken: "local-session",
};

/** Options of {@link createFunctionHost}. */
export interface FunctionHostOptions {
  /** State directory of the local deployment (packages, logs, the bootstrap bundle). */
  readonly stateDir: string;
  /** Endpoint of the function's region: the SDK in the function and the metric forwarder use it. */
  readonly endpointUrl: string;
  /**
   * Credentials set in the environments and used for PutMetricData.
   * @default - {@link DEFAULT_CREDENTIALS}
   */
  readonly credentials?: LocalCredentials;
  /**
   * Account the invoked function ARN names.
   * @default - the account of the function's ARN
   */
  readonly accountId?: string;
  /**
   * Most execution environments at a time; an invocation beyond them waits for one to free.
   * @default 10
   */
  readonly maxEnvironments?: number;
  /** Called with every line the function (or the platform) logs. */
  readonly onLog?: (line: string) => void;
  /**
   * Called when something the cloud would swallow goes wrong: an invalid EMF line, a failed
   * PutMetricData.
   * @default - ignored
   */
  readonly onWarning?: (message: string) => void;
  /**
   * Client for the extracted metrics.
   * @default - a CloudWatch client of the function's region at `endpointUrl`
   */
  readonly cloudWatch?: CloudWatchClient;
  /**
   * Where the `@aws-sdk/*` modules that bundles leave external resolve (`NODE_PATH`), standing
   * in for the SDK that Lambda's runtime ships.
   * @default - the project's node_modules
   */
  readonly nodeModules?: string;
}

/** How many environment start times {@link FunctionHostStats} keeps (the latest). */
const MAX_INIT_DURATIONS = 100;

/** Counters of one function host. */
export interface FunctionHostStats {
  readonly functionName: string;
  /** Environments alive now, and how many of them run an invocation. */
  readonly environments: number;
  readonly busy: number;
  /** Invocations waiting for an environment. */
  readonly queued: number;
  readonly invocations: number;
  /** Environments that ran an invocation. */
  readonly coldStarts: number;
  /** Time from fork to loaded handler of the latest (up to 100) of them, in ms. */
  readonly initDurationsMs: readonly number[];
}

/** A {@link FunctionInvoker} with its counters and metric forwarding. */
export interface FunctionHost extends FunctionInvoker {
  stats(): FunctionHostStats;
  /** Resolves when every PutMetricData call started so far has answered. */
  flushMetrics(): Promise<void>;
}

/** Where a function's package is extracted: `<functions>/<name>/<code hash, file-name safe>`. */
export function packageDir(stateDir: string, fn: DeployedFunction): string {
  const hash =
    fn.sourceCodeHash !== ""
      ? fn.sourceCodeHash
      : createHash("sha256").update(readFileSync(fn.packagePath)).digest("hex");
  return join(localLayout(stateDir).functionsDir, fn.name, hash.replace(/[^A-Za-z0-9._-]/g, "_"));
}

const EXTRACTED_MARKER = ".extracted";

/**
 * Extracts the function's zip into {@link packageDir} unless an earlier run did; the directory
 * appears complete or not at all.
 *
 * @throws Error when the package is missing or not a zip, or an entry points outside the directory
 */
export function extractPackage(stateDir: string, fn: DeployedFunction): string {
  const dir = packageDir(stateDir, fn);
  if (existsSync(join(dir, EXTRACTED_MARKER))) return dir;
  if (!existsSync(fn.packagePath)) {
    throw new Error(`Deployment package of ${fn.name} not found: ${fn.packagePath}`);
  }
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(readFileSync(fn.packagePath));
  } catch (error) {
    throw new Error(`Deployment package of ${fn.name} is not a zip (${fn.packagePath}): ${error}`);
  }
  const staging = `${dir}.${process.pid}.${randomBytes(4).toString("hex")}`;
  mkdirSync(staging, { recursive: true });
  try {
    for (const [name, data] of Object.entries(entries)) {
      const target = resolve(staging, name);
      if (!target.startsWith(staging + sep)) {
        throw new Error(`Deployment package of ${fn.name} has an entry outside its root: ${name}`);
      }
      if (name.endsWith("/")) {
        mkdirSync(target, { recursive: true });
        continue;
      }
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, data);
    }
    writeFileSync(join(staging, EXTRACTED_MARKER), `${fn.packagePath}\n`);
    rmSync(dir, { recursive: true, force: true });
    renameSync(staging, dir);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    if (existsSync(join(dir, EXTRACTED_MARKER))) return dir; // another process won the race
    throw error;
  }
  return dir;
}

const bootstraps = new Map<string, string>();

/**
 * Bundles `bootstrap.ts` into `<stateDir>/runtime-bootstrap.js`, once per process and state
 * directory, and answers its path. Children start from this plain JavaScript file, which takes
 * Node a few tens of milliseconds, where a TypeScript loader would take seconds.
 */
export function bootstrapFile(stateDir: string): string {
  const outfile = join(localLayout(stateDir).dir, "runtime-bootstrap.js");
  if (bootstraps.get(outfile) !== undefined && existsSync(outfile)) return outfile;
  const result = buildSync({
    stdin: {
      contents: 'require("./bootstrap").main();',
      resolveDir: __dirname,
      sourcefile: "runtime-bootstrap-entry.js",
      loader: "js",
    },
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    write: false,
    outfile,
    logLevel: "silent",
  });
  mkdirSync(dirname(outfile), { recursive: true });
  const staging = `${outfile}.${process.pid}.tmp`;
  writeFileSync(staging, result.outputFiles[0].contents);
  renameSync(staging, outfile);
  bootstraps.set(outfile, outfile);
  return outfile;
}

/** A log stream name as Lambda makes one: `YYYY/MM/DD/[$LATEST]<32 hex>`. */
export function logStreamName(now: Date = new Date()): string {
  const day = now.toISOString().slice(0, 10).replace(/-/g, "/");
  return `${day}/[$LATEST]${randomBytes(16).toString("hex")}`;
}

/** Inputs of {@link lambdaEnvironment} besides the function. */
export interface EnvironmentSettings {
  readonly taskRoot: string;
  readonly logStreamName: string;
  readonly endpointUrl: string;
  readonly credentials: LocalCredentials;
  readonly nodeModules: string;
  /** `PATH` of the child. */
  readonly path?: string;
}

/**
 * The environment variables of one execution environment: the function's own, then what
 * Lambda's runtime sets (which the function cannot override), dummy credentials, the emulator
 * endpoint and a `NODE_PATH` where the external `@aws-sdk/*` modules resolve.
 */
export function lambdaEnvironment(
  fn: DeployedFunction,
  settings: EnvironmentSettings,
): Record<string, string> {
  const { credentials } = settings;
  const env: Record<string, string> = {
    ...fn.environment,
    PATH: settings.path ?? "/usr/local/bin:/usr/bin:/bin",
    LANG: "en_US.UTF-8",
    TZ: ":UTC",
    LAMBDA_TASK_ROOT: settings.taskRoot,
    _HANDLER: fn.handler,
    AWS_EXECUTION_ENV: `AWS_Lambda_${fn.runtime}`,
    AWS_REGION: fn.region,
    AWS_DEFAULT_REGION: fn.region,
    AWS_LAMBDA_FUNCTION_NAME: fn.name,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
    AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
    AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand",
    AWS_LAMBDA_LOG_GROUP_NAME: fn.logGroupName,
    AWS_LAMBDA_LOG_STREAM_NAME: settings.logStreamName,
    AWS_LAMBDA_LOG_FORMAT: fn.logFormat === "JSON" ? "JSON" : "Text",
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_ENDPOINT_URL: settings.endpointUrl,
    NODE_PATH: settings.nodeModules,
  };
  if (credentials.sessionToken !== undefined) env.AWS_SESSION_TOKEN = credentials.sessionToken;
  return env;
}

/** What one invocation measured, for the platform's REPORT line. */
interface Report {
  readonly requestId: string;
  readonly durationMs: number;
  readonly memoryUsedMb?: number;
  readonly initDurationMs?: number;
  readonly status: "success" | "error" | "timeout" | "failure";
}

/** Splits a stream into lines, recognising the bootstrap's done marker. */
class LineSplitter {
  private buffer = "";

  constructor(
    private readonly onLine: (line: string) => void,
    private readonly onDone: (requestId: string) => void,
  ) {}

  push(chunk: string): void {
    this.buffer += chunk;
    let newline = this.buffer.indexOf("\n");
    while (newline >= 0) {
      this.line(this.buffer.slice(0, newline));
      this.buffer = this.buffer.slice(newline + 1);
      newline = this.buffer.indexOf("\n");
    }
  }

  end(): void {
    if (this.buffer !== "") this.line(this.buffer);
    this.buffer = "";
  }

  private line(raw: string): void {
    const marker = raw.indexOf(DONE_MARKER);
    if (marker < 0) {
      this.onLine(raw);
      return;
    }
    if (marker > 0) this.onLine(raw.slice(0, marker));
    this.onDone(raw.slice(marker + DONE_MARKER.length));
  }
}

type Outcome =
  | { readonly kind: "result"; readonly message: Extract<ChildMessage, { type: "result" }> }
  | { readonly kind: "timeout" }
  | { readonly kind: "exit"; readonly code: number | null; readonly signal: string | null };

/** One execution environment: a child process running the bootstrap. */
class Environment {
  readonly child: ChildProcess;
  /** Resolves when the handler is loaded; rejects with the init error. */
  readonly ready: Promise<void>;
  busy = false;
  dead = false;
  /** Init duration, reported with the first invocation only. */
  initDurationMs?: number;
  private readonly splitters: LineSplitter[];
  private readonly done = new Map<string, number>();
  private readonly doneWaiters = new Map<string, () => void>();
  private outcome?: (outcome: Outcome) => void;
  private readonly exited: Promise<void>;

  constructor(
    bootstrap: string,
    env: Record<string, string>,
    cwd: string,
    private readonly onLine: (line: string, stream: "stdout" | "stderr") => void,
    readonly onExit: (environment: Environment) => void,
  ) {
    const started = performance.now();
    this.child = fork(bootstrap, [], {
      cwd,
      env,
      execArgv: [],
      stdio: ["ignore", "pipe", "pipe", "ipc"],
      serialization: "json",
    });
    this.splitters = (["stdout", "stderr"] as const).map((name) => {
      const splitter = new LineSplitter(
        (line) => this.onLine(line, name),
        (requestId) => this.markDone(requestId),
      );
      const stream = this.child[name]!;
      stream.setEncoding("utf8");
      stream.on("data", (chunk: string) => splitter.push(chunk));
      stream.on("end", () => splitter.end());
      return splitter;
    });
    this.ready = new Promise<void>((resolveReady, rejectReady) => {
      this.child.on("message", (message: ChildMessage) => {
        if (message.type === "ready") {
          this.initDurationMs = performance.now() - started;
          resolveReady();
        } else if (message.type === "init-error") {
          rejectReady(Object.assign(new Error(message.errorMessage), { name: message.errorType }));
        } else if (message.type === "result") {
          this.outcome?.({ kind: "result", message });
        }
      });
      this.child.on("exit", (code, signal) => {
        rejectReady(
          Object.assign(new Error(`Runtime exited with error: ${exitText(code, signal)}`), {
            name: "Runtime.ExitError",
          }),
        );
      });
    });
    this.ready.catch(() => undefined);
    this.exited = new Promise((resolveExit) => {
      this.child.on("exit", (code, signal) => {
        this.dead = true;
        for (const splitter of this.splitters) splitter.end();
        this.outcome?.({ kind: "exit", code, signal });
        for (const waiter of this.doneWaiters.values()) waiter();
        this.onExit(this);
        resolveExit();
      });
    });
    this.child.on("error", () => undefined);
  }

  /** Runs one invocation; resolves when the answer and every line it printed are in. */
  async run(message: InvokeMessage, timeoutMs: number): Promise<Outcome> {
    const outcome = new Promise<Outcome>((resolveOutcome) => {
      this.outcome = resolveOutcome;
    });
    const timer = setTimeout(() => this.outcome?.({ kind: "timeout" }), timeoutMs);
    this.child.send(message, (error) => {
      if (error) {
        this.kill();
        this.outcome?.({ kind: "exit", code: null, signal: null });
      }
    });
    const result = await outcome;
    clearTimeout(timer);
    this.outcome = undefined;
    if (result.kind === "result") await this.waitDone(message.requestId);
    else if (result.kind === "timeout") this.kill();
    return result;
  }

  /** Ends the child: SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 1000): Promise<void> {
    if (!this.dead) {
      this.child.kill("SIGTERM");
      const timer = setTimeout(() => this.kill(), graceMs);
      await this.exited;
      clearTimeout(timer);
    }
  }

  kill(): void {
    this.dead = true;
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGKILL");
  }

  private markDone(requestId: string): void {
    const seen = (this.done.get(requestId) ?? 0) + 1;
    this.done.set(requestId, seen);
    if (seen >= 2) this.doneWaiters.get(requestId)?.();
  }

  /** Waits for the done marker on both streams (at most a second: output may be cut off). */
  private waitDone(requestId: string): Promise<void> {
    return new Promise<void>((resolveDone) => {
      const finish = () => {
        clearTimeout(timer);
        this.doneWaiters.delete(requestId);
        this.done.delete(requestId);
        resolveDone();
      };
      const timer = setTimeout(finish, 1000);
      this.doneWaiters.set(requestId, finish);
      if ((this.done.get(requestId) ?? 0) >= 2 || this.dead) finish();
    });
  }
}

/**
 * Lambda gives init 10 s, then retries it within the invocation's own timeout; locally init
 * simply gets both.
 */
const INIT_TIMEOUT_MS = 10_000;

function withTimeout<T>(promise: Promise<T>, ms: number, error: () => Error): Promise<T> {
  return new Promise<T>((resolvePromise, rejectPromise) => {
    const timer = setTimeout(() => rejectPromise(error()), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolvePromise(value);
      },
      (reason: unknown) => {
        clearTimeout(timer);
        rejectPromise(reason);
      },
    );
  });
}

function exitText(code: number | null, signal: string | null): string {
  if (signal === "SIGKILL") return "signal: killed";
  if (signal !== null) return `signal: ${signal}`;
  return `exit status ${code ?? 0}`;
}

function platformLines(fn: DeployedFunction, kind: "start" | "end", requestId: string): string {
  if (fn.logFormat === "JSON") {
    const record = kind === "start" ? { requestId, version: "$LATEST" } : { requestId };
    return JSON.stringify({
      time: new Date().toISOString(),
      type: kind === "start" ? "platform.start" : "platform.runtimeDone",
      record,
    });
  }
  return kind === "start"
    ? `START RequestId: ${requestId} Version: $LATEST`
    : `END RequestId: ${requestId}`;
}

function reportLine(fn: DeployedFunction, report: Report): string {
  const billed = Math.max(1, Math.ceil(report.durationMs));
  if (fn.logFormat === "JSON") {
    const metrics: Record<string, number> = {
      durationMs: round(report.durationMs),
      billedDurationMs: billed,
      memorySizeMB: fn.memoryMb,
    };
    if (report.memoryUsedMb !== undefined) metrics.maxMemoryUsedMB = report.memoryUsedMb;
    if (report.initDurationMs !== undefined) metrics.initDurationMs = round(report.initDurationMs);
    return JSON.stringify({
      time: new Date().toISOString(),
      type: "platform.report",
      record: { requestId: report.requestId, metrics, status: report.status },
    });
  }
  const parts = [
    `REPORT RequestId: ${report.requestId}`,
    `Duration: ${report.durationMs.toFixed(2)} ms`,
    `Billed Duration: ${billed} ms`,
    `Memory Size: ${fn.memoryMb} MB`,
  ];
  if (report.memoryUsedMb !== undefined) parts.push(`Max Memory Used: ${report.memoryUsedMb} MB`);
  if (report.initDurationMs !== undefined) {
    parts.push(`Init Duration: ${report.initDurationMs.toFixed(2)} ms`);
  }
  if (report.status !== "success" && report.status !== "error") {
    parts.push(`Status: ${report.status}`);
  }
  return parts.join("\t");
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

function accountOf(arn: string): string | undefined {
  return arn.split(":")[4] || undefined;
}

/**
 * Hosts one deployed function: a pool of execution environments that grows lazily up to
 * `maxEnvironments`, one invocation per environment at a time, the function's timeout enforced
 * (the environment is killed, the answer is `Sandbox.Timedout`), a crashed environment
 * replaced by the next invocation's, init errors answered as Lambda does. Each environment's
 * stdout and stderr lines are appended to `<logs>/<function name>.log` and EMF lines forwarded
 * to CloudWatch.
 *
 * @throws Error when the deployment package cannot be extracted
 */
export function createFunctionHost(
  fn: DeployedFunction,
  options: FunctionHostOptions,
): FunctionHost {
  const layout = localLayout(options.stateDir);
  const taskRoot = extractPackage(options.stateDir, fn);
  const bootstrap = bootstrapFile(options.stateDir);
  const credentials = options.credentials ?? DEFAULT_CREDENTIALS;
  const maxEnvironments = options.maxEnvironments ?? 10;
  if (!Number.isInteger(maxEnvironments) || maxEnvironments < 1) {
    throw new Error(
      `maxEnvironments of ${fn.name} is ${maxEnvironments}; expected a whole number >= 1`,
    );
  }
  const timeoutMs = fn.timeoutSeconds * 1000;
  const warn = options.onWarning ?? (() => undefined);
  const cloudWatch =
    options.cloudWatch ??
    new CloudWatchClient({ region: fn.region, endpoint: options.endpointUrl, credentials });
  const ownsCloudWatch = options.cloudWatch === undefined;
  const account = options.accountId ?? accountOf(fn.arn);
  const invokedFunctionArn =
    account === undefined || account === accountOf(fn.arn)
      ? fn.arn
      : fn.arn
          .split(":")
          .map((part, i) => (i === 4 ? account : part))
          .join(":");

  mkdirSync(layout.logsDir, { recursive: true });
  let logFd: number | undefined = openSync(join(layout.logsDir, `${fn.name}.log`), "a");
  const pendingMetrics = new Set<Promise<void>>();
  const environments: Environment[] = [];
  const waiting: ((environment: Environment | undefined) => void)[] = [];
  const initDurations: number[] = [];
  let invocations = 0;
  let coldStarts = 0;
  let closed = false;

  const log = (line: string) => {
    if (logFd !== undefined) writeSync(logFd, `${line}\n`);
    options.onLog?.(line);
  };

  const forwardMetrics = (line: string) => {
    if (!line.startsWith("{") || !line.includes('"_aws"')) return;
    const parsed = parseEmf(line);
    if (parsed.kind === "invalid") {
      warn(`${fn.name}: EMF line ignored: ${parsed.reason}`);
      return;
    }
    if (parsed.kind !== "metrics") return;
    for (const request of parsed.requests) {
      const sent: Promise<void> = cloudWatch
        .send(new PutMetricDataCommand(request))
        .then(
          () => undefined,
          (error: Error) => warn(`${fn.name}: PutMetricData failed: ${error.message}`),
        )
        .finally(() => pendingMetrics.delete(sent));
      pendingMetrics.add(sent);
    }
  };

  const onLine = (line: string, stream: "stdout" | "stderr") => {
    log(line);
    if (stream === "stdout") forwardMetrics(line);
  };

  const remove = (environment: Environment) => {
    const index = environments.indexOf(environment);
    if (index >= 0) environments.splice(index, 1);
  };

  const spawn = (): Environment => {
    const environment = new Environment(
      bootstrap,
      lambdaEnvironment(fn, {
        taskRoot,
        logStreamName: logStreamName(),
        endpointUrl: options.endpointUrl,
        credentials,
        nodeModules: options.nodeModules ?? join(PROJECT_ROOT, "node_modules"),
        path: process.env.PATH,
      }),
      taskRoot,
      onLine,
      (exited) => {
        // An idle environment that dies is simply gone; a busy one is handled by its invocation.
        if (!exited.busy) remove(exited);
      },
    );
    environment.busy = true;
    environments.push(environment);
    return environment;
  };

  const acquire = (): Promise<Environment | undefined> => {
    const idle = environments.find((environment) => !environment.busy && !environment.dead);
    if (idle !== undefined) {
      idle.busy = true;
      return Promise.resolve(idle);
    }
    if (environments.length < maxEnvironments) return Promise.resolve(spawn());
    return new Promise((resolveWaiter) => waiting.push(resolveWaiter));
  };

  const release = (environment: Environment) => {
    environment.busy = false;
    if (environment.dead) remove(environment);
    const next = waiting.shift();
    if (next === undefined) return;
    if (!environment.dead) {
      environment.busy = true;
      next(environment);
    } else {
      next(spawn());
    }
  };

  const invoke = async (
    event: unknown,
    requestId: string = randomUUID(),
  ): Promise<InvokeResult> => {
    const started = performance.now();
    const failure = (errorType: string, errorMessage: string): InvokeResult => ({
      ok: false,
      errorType,
      errorMessage,
      durationMs: performance.now() - started,
    });
    if (closed) return failure("Runtime.HostClosed", `The local host of ${fn.name} is closed`);
    const environment = await acquire();
    if (environment === undefined) {
      return failure("Runtime.HostClosed", `The local host of ${fn.name} is closed`);
    }
    invocations += 1;
    try {
      try {
        await withTimeout(environment.ready, INIT_TIMEOUT_MS + timeoutMs, () =>
          Object.assign(
            new Error(`Init timed out after ${(INIT_TIMEOUT_MS + timeoutMs) / 1000} seconds`),
            {
              name: "Sandbox.Timedout",
            },
          ),
        );
      } catch (error) {
        environment.kill();
        const { name, message } = error as Error;
        log(`${platformLines(fn, "start", requestId)}`);
        log(
          reportLine(fn, { requestId, durationMs: performance.now() - started, status: "failure" }),
        );
        return failure(name, message);
      }
      const initDurationMs = environment.initDurationMs;
      if (initDurationMs !== undefined) {
        coldStarts += 1;
        initDurations.push(initDurationMs);
        if (initDurations.length > MAX_INIT_DURATIONS) initDurations.shift();
      }
      environment.initDurationMs = undefined;

      log(platformLines(fn, "start", requestId));
      const invokeStarted = performance.now();
      const outcome = await environment.run(
        {
          type: "invoke",
          requestId,
          event: JSON.stringify(event) ?? "null",
          deadlineMs: Date.now() + timeoutMs,
          invokedFunctionArn,
        },
        timeoutMs,
      );
      const durationMs = performance.now() - invokeStarted;
      let result: InvokeResult;
      let status: Report["status"];
      if (outcome.kind === "result") {
        const { message } = outcome;
        result = message.ok
          ? { ok: true, result: JSON.parse(message.result), durationMs }
          : {
              ok: false,
              errorType: message.errorType,
              errorMessage: message.errorMessage,
              durationMs,
            };
        status = message.ok ? "success" : "error";
      } else if (outcome.kind === "timeout") {
        const seconds = (timeoutMs / 1000).toFixed(2);
        log(`${new Date().toISOString()} ${requestId} Task timed out after ${seconds} seconds`);
        result = {
          ok: false,
          errorType: "Sandbox.Timedout",
          errorMessage: `RequestId: ${requestId} Error: Task timed out after ${seconds} seconds`,
          durationMs,
        };
        status = "timeout";
      } else {
        const text = exitText(outcome.code, outcome.signal);
        result = {
          ok: false,
          errorType: "Runtime.ExitError",
          errorMessage: `RequestId: ${requestId} Error: Runtime exited with error: ${text}`,
          durationMs,
        };
        status = "failure";
      }
      log(platformLines(fn, "end", requestId));
      const memoryUsedMb = outcome.kind === "result" ? outcome.message.memoryUsedMb : undefined;
      log(reportLine(fn, { requestId, durationMs, memoryUsedMb, initDurationMs, status }));
      return result;
    } finally {
      release(environment);
    }
  };

  return {
    function: fn,
    invoke,
    stats: () => ({
      functionName: fn.name,
      environments: environments.length,
      busy: environments.filter((environment) => environment.busy).length,
      queued: waiting.length,
      invocations,
      coldStarts,
      initDurationsMs: [...initDurations],
    }),
    flushMetrics: async () => {
      while (pendingMetrics.size > 0) await Promise.all([...pendingMetrics]);
    },
    close: async () => {
      if (closed) return;
      closed = true;
      for (const waiter of waiting.splice(0)) waiter(undefined);
      await Promise.all([...environments].map((environment) => environment.stop()));
      while (pendingMetrics.size > 0) await Promise.all([...pendingMetrics]);
      if (ownsCloudWatch) cloudWatch.destroy();
      if (logFd !== undefined) closeSync(logFd);
      logFd = undefined;
    },
  };
}
