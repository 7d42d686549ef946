/**
 * The runtime inside one local execution environment: a child Node process that loads a
 * deployed function's handler, as Lambda's Node.js runtime does, and runs one invocation at a
 * time for its parent (`functions.ts`) over the IPC channel.
 *
 * The parent bundles this file with esbuild into the state directory once per process and
 * forks it with the function's environment (`LAMBDA_TASK_ROOT`, `_HANDLER`, ...). Node built-ins
 * only: nothing here may need the project's `node_modules`.
 */
import { format } from "node:util";
import { join } from "node:path";

/** Parent to child: run one invocation. */
export interface InvokeMessage {
  readonly type: "invoke";
  readonly requestId: string;
  /** The event, as JSON text. */
  readonly event: string;
  /** Epoch ms at which the invocation times out. */
  readonly deadlineMs: number;
  readonly invokedFunctionArn: string;
}

/** Child to parent. */
export type ChildMessage =
  /** Init done: the handler is loaded. */
  | { readonly type: "ready"; readonly initDurationMs: number }
  /** Init failed; the environment is unusable. */
  | { readonly type: "init-error"; readonly errorType: string; readonly errorMessage: string }
  /** One invocation's answer; `result` is JSON text. */
  | (InvocationAnswer & { readonly ok: true; readonly result: string })
  | (InvocationAnswer & {
      readonly ok: false;
      readonly errorType: string;
      readonly errorMessage: string;
    });

/** What every answer of an invocation carries. */
export interface InvocationAnswer {
  readonly type: "result";
  readonly requestId: string;
  /** Resident set size of the environment when it answered, in MB. */
  readonly memoryUsedMb: number;
}

/**
 * Written to stdout and stderr when an invocation is done, before its answer: the parent waits
 * for it on both streams, so every line the invocation printed is logged before it answers.
 * Never logged itself.
 */
export const DONE_MARKER = "\u0000invocation-done:";

/** Lambda's error object of an exception (`errorType`, `errorMessage`, `stackTrace`). */
export function errorResponse(error: unknown): {
  errorType: string;
  errorMessage: string;
  stackTrace: string[];
} {
  if (error instanceof Error) {
    return {
      errorType: error.name || "Error",
      errorMessage: error.message,
      stackTrace: (error.stack ?? "")
        .split("\n")
        .slice(1)
        .map((line) => line.trim()),
    };
  }
  return { errorType: typeof error, errorMessage: String(error), stackTrace: [] };
}

/** Log level of a `console` method, as Lambda's runtime prints it. */
export type ConsoleLevel = "TRACE" | "DEBUG" | "INFO" | "WARN" | "ERROR" | "FATAL";

/**
 * One line as Lambda's Node.js runtime writes a `console` call: tab-separated text, or a JSON
 * object with `AWS_LAMBDA_LOG_FORMAT=JSON`.
 */
export function consoleLine(
  logFormat: string,
  level: ConsoleLevel,
  requestId: string | undefined,
  args: readonly unknown[],
  now: Date = new Date(),
): string {
  if (logFormat === "JSON") {
    const entry: Record<string, unknown> = {
      timestamp: now.toISOString(),
      level,
      requestId,
    };
    const [first] = args;
    if (args.length === 1 && first instanceof Error) {
      const { errorType, errorMessage, stackTrace } = errorResponse(first);
      Object.assign(entry, { message: errorMessage, errorType, errorMessage, stackTrace });
    } else {
      entry.message = format(...args);
    }
    return JSON.stringify(entry);
  }
  const text = format(...args).replace(/\n/g, "\r");
  return `${now.toISOString()}\t${requestId ?? "undefined"}\t${level}\t${text}`;
}

/** `index.handler` -> the module file and the export. */
export function splitHandler(handler: string): { module: string; name: string } {
  const dot = handler.lastIndexOf(".");
  if (dot <= 0 || dot === handler.length - 1) {
    throw Object.assign(new Error(`Bad handler ${handler}: expected <file>.<export>`), {
      name: "Runtime.MalformedHandlerName",
    });
  }
  return { module: handler.slice(0, dot), name: handler.slice(dot + 1) };
}

type Handler = (event: unknown, context: unknown, callback?: unknown) => unknown;

function loadHandler(taskRoot: string, handler: string): Handler {
  const { module, name } = splitHandler(handler);
  let exports: Record<string, unknown>;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    exports = require(join(taskRoot, module));
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === "MODULE_NOT_FOUND" && (error as Error).message.includes(join(taskRoot, module))) {
      throw Object.assign(new Error(`Cannot find module '${module}'`), {
        name: "Runtime.ImportModuleError",
      });
    }
    throw error;
  }
  const fn = exports[name];
  if (typeof fn !== "function") {
    throw Object.assign(new Error(`${module}.${name} is undefined or not exported`), {
      name: "Runtime.HandlerNotFound",
    });
  }
  return fn as Handler;
}

function send(message: ChildMessage): Promise<void> {
  return new Promise((resolve) => {
    process.send!(message, undefined, undefined, () => resolve());
  });
}

/** Writes the done marker to both streams and resolves once both are flushed. */
function markDone(requestId: string): Promise<void> {
  const write = (stream: NodeJS.WriteStream) =>
    new Promise<void>((resolve) => stream.write(`${DONE_MARKER}${requestId}\n`, () => resolve()));
  return Promise.all([write(process.stdout), write(process.stderr)]).then(() => undefined);
}

/** Runs the handler: a returned promise is awaited; a handler taking three arguments gets a callback. */
function run(handler: Handler, event: unknown, context: object): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const callback = (error: unknown, result: unknown) => {
      if (settled) return;
      settled = true;
      if (error !== undefined && error !== null) reject(error);
      else resolve(result);
    };
    try {
      const returned = handler(event, context, callback);
      if (returned !== null && typeof (returned as Promise<unknown>)?.then === "function") {
        (returned as Promise<unknown>).then(
          (value) => callback(null, value),
          (error: unknown) => callback(error ?? new Error("Promise rejected"), undefined),
        );
      } else if (handler.length < 3) {
        callback(null, returned);
      }
    } catch (error) {
      callback(error, undefined);
    }
  });
}

/** The child's main loop; called by the bundle's entry. */
export function main(): void {
  if (process.send === undefined) {
    throw new Error("bootstrap must run as a forked child with an IPC channel");
  }
  const env = process.env;
  const taskRoot = env.LAMBDA_TASK_ROOT ?? process.cwd();
  const logFormat = env.AWS_LAMBDA_LOG_FORMAT ?? "Text";
  const functionName = env.AWS_LAMBDA_FUNCTION_NAME ?? "";
  const memory = env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? "128";
  let currentRequestId: string | undefined;

  // Lambda's runtime routes console output through its own formatter.
  const levels: [keyof Console, ConsoleLevel, NodeJS.WriteStream][] = [
    ["log", "INFO", process.stdout],
    ["info", "INFO", process.stdout],
    ["debug", "DEBUG", process.stdout],
    ["trace", "TRACE", process.stdout],
    ["warn", "WARN", process.stderr],
    ["error", "ERROR", process.stderr],
  ];
  for (const [method, level, stream] of levels) {
    (console as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
      stream.write(`${consoleLine(logFormat, level, currentRequestId, args)}\n`);
    };
  }

  // The host went away (its process ended): an orphaned environment has no one to answer.
  process.on("disconnect", () => process.exit(0));

  const started = performance.now();
  let handler: Handler;
  try {
    handler = loadHandler(taskRoot, env._HANDLER ?? "index.handler");
  } catch (error) {
    const { errorType, errorMessage } = errorResponse(error);
    process.stderr.write(`${consoleLine(logFormat, "ERROR", undefined, [error])}\n`);
    void send({ type: "init-error", errorType, errorMessage }).then(() => process.exit(1));
    return;
  }
  void send({ type: "ready", initDurationMs: performance.now() - started });

  process.on("message", (message: InvokeMessage) => {
    if (message?.type !== "invoke") return;
    void invoke(message);
  });

  async function invoke(message: InvokeMessage): Promise<void> {
    const { requestId, deadlineMs } = message;
    currentRequestId = requestId;
    const context = {
      callbackWaitsForEmptyEventLoop: true,
      functionName,
      functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION ?? "$LATEST",
      invokedFunctionArn: message.invokedFunctionArn,
      memoryLimitInMB: memory,
      awsRequestId: requestId,
      logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME ?? "",
      logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME ?? "",
      getRemainingTimeInMillis: () => Math.max(0, deadlineMs - Date.now()),
      done: () => undefined,
      fail: () => undefined,
      succeed: () => undefined,
    };
    let answer: ChildMessage;
    try {
      const result = await run(handler, JSON.parse(message.event), context);
      answer = {
        type: "result",
        requestId,
        memoryUsedMb: memoryUsedMb(),
        ok: true,
        result: JSON.stringify(result) ?? "null",
      };
    } catch (error) {
      const response = errorResponse(error);
      const invokeError = Object.assign(new Error(response.errorMessage), {
        name: response.errorType,
        stack: (error as Error)?.stack,
      });
      if (logFormat === "JSON") {
        process.stderr.write(`${consoleLine(logFormat, "ERROR", requestId, [invokeError])}\n`);
      } else {
        process.stderr.write(
          `${consoleLine(logFormat, "ERROR", requestId, ["Invoke Error", JSON.stringify(response)])}\n`,
        );
      }
      answer = {
        type: "result",
        requestId,
        memoryUsedMb: memoryUsedMb(),
        ok: false,
        errorType: response.errorType,
        errorMessage: response.errorMessage,
      };
    }
    await markDone(requestId);
    currentRequestId = undefined;
    await send(answer);
  }
}

function memoryUsedMb(): number {
  return Math.round(process.memoryUsage.rss() / (1024 * 1024));
}
