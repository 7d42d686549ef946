/** Waiting, time limits and retry delays. All use the global timers, so tests can fake them. */
import { TimeoutError } from "./errors";

/** Resolves after `ms`, or at once when `signal` aborts (never rejects). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/**
 * Runs `call` with a time limit: after `ms` the call's signal aborts and a TimeoutError is
 * thrown, whether or not the call honours the signal.
 */
export async function withTimeout<T>(
  ms: number,
  call: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new TimeoutError(`no answer within ${ms} ms`));
    }, ms);
  });
  try {
    return await Promise.race([call(controller.signal), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export interface BackoffOptions {
  /** Delay scale of the first retry. @default - 100 ms */
  readonly baseMs?: number;
  /** Longest delay. @default - 5 s */
  readonly capMs?: number;
}

/**
 * Exponential backoff with full jitter: a random delay in [0, min(cap, base * 2^(attempt-1))),
 * for the retry after `attempt` failed attempts (attempt >= 1).
 */
export function backoffDelay(
  attempt: number,
  random: () => number = Math.random,
  { baseMs = 100, capMs = 5000 }: BackoffOptions = {},
): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * ceiling);
}
