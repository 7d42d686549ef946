/**
 * The one validity rule for `recorded_at`, the producer's clock in epoch milliseconds, shared by
 * the producer API (which refuses what fails it with a 400) and the consumer (which reports it as
 * a failed record): whatever the API accepts, every consumer of every queue accepts too.
 */

/** Name of the field in every message payload. */
export const RECORDED_AT_FIELD = "recorded_at";

/** Smallest accepted value (2000-01-01T00:00:00Z); epoch seconds of today lie below it. */
export const MIN_RECORDED_AT_MS = Date.UTC(2000, 0, 1);

/** How far `recorded_at` may lie after the checking clock by default: one minute. */
export const DEFAULT_MAX_CLOCK_SKEW_MS = 60_000;

/** Why a value fails the rule, as the consumer counts it and in words. */
export interface RecordedAtProblem {
  readonly reason: "InvalidRecordedAt" | "RecordedAtInFuture";
  readonly detail: string;
}

function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "number") return String(value);
  return `a ${typeof value}`;
}

/**
 * Checks one `recorded_at` against a clock: a finite JSON number, not before 2000-01-01 (so not
 * epoch seconds), and at most `maxSkewMs` after `now`. `clock` names `now` in the message.
 *
 * @returns the problem, or `undefined` when the value is valid
 */
export function recordedAtProblem(
  value: unknown,
  now: number,
  maxSkewMs: number = DEFAULT_MAX_CLOCK_SKEW_MS,
  clock = "the clock",
): RecordedAtProblem | undefined {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    return {
      reason: "InvalidRecordedAt",
      detail: `recorded_at is ${kindOf(value)}, expected a JSON number of epoch milliseconds`,
    };
  }
  if (value < MIN_RECORDED_AT_MS) {
    return {
      reason: "InvalidRecordedAt",
      detail: `recorded_at ${value} is before 2000-01-01, expected epoch milliseconds (not seconds)`,
    };
  }
  const aheadMs = value - now;
  if (aheadMs > maxSkewMs) {
    return {
      reason: "RecordedAtInFuture",
      detail: `recorded_at ${value} is ${aheadMs} ms after ${clock}, tolerance ${maxSkewMs} ms`,
    };
  }
  return undefined;
}

/** The allowed range at `now`, in words, for an error message. */
export function recordedAtRange(
  now: number,
  maxSkewMs: number = DEFAULT_MAX_CLOCK_SKEW_MS,
): string {
  return `a number of epoch milliseconds from ${MIN_RECORDED_AT_MS} (2000-01-01) to ${now + maxSkewMs} (${maxSkewMs / 1000} s after the API's clock)`;
}
