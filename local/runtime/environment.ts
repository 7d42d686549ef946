/**
 * One execution environment of a function: a child Node process running the bootstrap
 * (`bootstrap.ts`), one invocation at a time, its stdout and stderr split into lines.
 */
import { fork, type ChildProcess } from "node:child_process";
import { DONE_MARKER, type ChildMessage, type InvokeMessage } from "./bootstrap";

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

/** How an invocation ended: the handler's answer, the function's timeout, or the process gone. */
export type Outcome =
  | { readonly kind: "result"; readonly message: Extract<ChildMessage, { type: "result" }> }
  | { readonly kind: "timeout" }
  | { readonly kind: "exit"; readonly code: number | null; readonly signal: string | null };
/** One execution environment: a child process running the bootstrap. */
export class Environment {
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

export function exitText(code: number | null, signal: string | null): string {
  if (signal === "SIGKILL") return "signal: killed";
  if (signal !== null) return `signal: ${signal}`;
  return `exit status ${code ?? 0}`;
}
