import { InvalidArgumentError } from "commander";

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Parses a duration such as `500ms`, `30s`, `5m`, `1h` or a bare number of seconds, into
 * milliseconds. Zero and negative durations are refused.
 */
export function parseDuration(text: string): number {
  const match = DURATION.exec(text.trim());
  const ms = match ? Math.round(Number(match[1]) * UNIT_MS[match[2] ?? "s"]) : NaN;
  if (!Number.isFinite(ms) || ms <= 0) {
    throw new InvalidArgumentError("expected a duration such as 500ms, 30s, 5m or 1h.");
  }
  return ms;
}

/** Parses a whole number >= 1. */
export function parsePositiveInt(text: string): number {
  const value = /^\d+$/.test(text.trim()) ? Number(text.trim()) : NaN;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new InvalidArgumentError("expected a whole number of at least 1.");
  }
  return value;
}

/** Parses a number > 0 (decimals allowed), e.g. a rate. */
export function parsePositiveNumber(text: string): number {
  const value = /^\d+(\.\d+)?$/.test(text.trim()) ? Number(text.trim()) : NaN;
  if (!Number.isFinite(value) || value <= 0) {
    throw new InvalidArgumentError("expected a number greater than 0.");
  }
  return value;
}

/** Parses a comma-separated list of names, refusing empty names and repeats. */
export function parseNameList(text: string): string[] {
  const names = text.split(",").map((name) => name.trim());
  if (names.some((name) => name === "")) {
    throw new InvalidArgumentError("expected names separated by commas, e.g. primary,secondary.");
  }
  const repeated = names.find((name, i) => names.indexOf(name) !== i);
  if (repeated !== undefined) {
    throw new InvalidArgumentError(`"${repeated}" is given twice.`);
  }
  return names;
}

/** Formats milliseconds for people: `250 ms`, `12.5 s`, `3m 20s`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  const parts = [
    [Math.floor(seconds / 3600), "h"],
    [Math.floor(seconds / 60) % 60, "m"],
    [seconds % 60, "s"],
  ] as const;
  return parts
    .filter(([n]) => n > 0)
    .map(([n, unit]) => `${n}${unit}`)
    .join(" ");
}
