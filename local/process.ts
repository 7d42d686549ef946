/**
 * Detached processes known by a pid file: the emulator and the local runtime are both started
 * in their own process group with their output appended to a log, and found again by pid.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

/** Whether a process runs with that pid (a zombie does not count). */
export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  try {
    // Linux: the field after the command name in /proc/<pid>/stat is the state; Z has exited.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
    return state !== "Z" && state !== "X";
  } catch {
    return true;
  }
}

/** Whether `pid` is gone within `timeoutMs`. */
export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await sleep(50);
  }
  return !isAlive(pid);
}

/** The pid a pid file holds; none when it is missing or holds something else. */
export function readPidFile(path: string): number | undefined {
  try {
    const text = fs.readFileSync(path, "utf8").trim();
    return /^\d+$/.test(text) ? Number(text) : undefined;
  } catch {
    return undefined;
  }
}

/** The last `lines` lines a log gained since it was `start` bytes long. */
export function logTail(path: string, start: number, lines: number): string {
  try {
    const text = fs.readFileSync(path).subarray(start).toString("utf8");
    return text.trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
}

export interface DetachedOptions {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  /** The log its stdout and stderr are appended to. */
  readonly log: string;
  /** How a failure to start reads, from the error's message. */
  readonly startError: (message: string) => string;
}

/** A process started by {@link spawnDetached}. */
export interface Detached {
  readonly pid: number | undefined;
  /** How it ended (e.g. `exited with code 1`), while it has not: undefined. */
  exited(): string | undefined;
}

/** Starts `command` in its own process group, not waited for by this one. */
export function spawnDetached(
  command: string,
  args: readonly string[],
  options: DetachedOptions,
): Detached {
  const log = fs.openSync(options.log, "a");
  let exited: string | undefined;
  try {
    const child = spawn(command, args, {
      cwd: options.cwd,
      detached: true,
      stdio: ["ignore", log, log],
      env: options.env,
    });
    child.on("exit", (code, signal) => {
      exited = signal !== null ? `was killed by ${signal}` : `exited with code ${code}`;
    });
    child.on("error", (error) => {
      exited = options.startError(error.message);
    });
    child.unref();
    return { pid: child.pid, exited: () => exited };
  } finally {
    fs.closeSync(log);
  }
}
