/**
 * The local Lambda service for one deployed function: extracts its deployment package
 * (`function-package.ts`), runs execution environments as child processes (`environment.ts`),
 * one invocation per environment at a time, in a pool that grows up to a limit, and does what
 * CloudWatch Logs does with their output (`function-log.ts`).
 */
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import type { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { PROJECT_ROOT, localLayout } from "../layout";
import { Environment, exitText } from "./environment";
import { FunctionLog, platformLines, reportLine, type Report } from "./function-log";
import {
  bootstrapFile,
  DEFAULT_CREDENTIALS,
  extractPackage,
  lambdaEnvironment,
  logStreamName,
  type LocalCredentials,
} from "./function-package";
import type { DeployedFunction, FunctionInvoker, InvokeResult } from "./types";

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
  const account = options.accountId ?? accountOf(fn.arn);
  const invokedFunctionArn =
    account === undefined || account === accountOf(fn.arn)
      ? fn.arn
      : fn.arn
          .split(":")
          .map((part, i) => (i === 4 ? account : part))
          .join(":");

  const functionLog = new FunctionLog(fn, {
    logsDir: layout.logsDir,
    endpointUrl: options.endpointUrl,
    credentials,
    cloudWatch: options.cloudWatch,
    onLog: options.onLog,
    warn,
  });
  const environments: Environment[] = [];
  const waiting: ((environment: Environment | undefined) => void)[] = [];
  const initDurations: number[] = [];
  let invocations = 0;
  let coldStarts = 0;
  let closed = false;

  const log = (line: string) => functionLog.write(line);
  const onLine = (line: string, stream: "stdout" | "stderr") => functionLog.output(line, stream);

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
    flushMetrics: () => functionLog.flush(),
    close: async () => {
      if (closed) return;
      closed = true;
      for (const waiter of waiting.splice(0)) waiter(undefined);
      await Promise.all([...environments].map((environment) => environment.stop()));
      await functionLog.close();
    },
  };
}
