/**
 * The kinds of setting the table in `settings.ts` is made of (whole numbers, one of a list,
 * patterned text, flags), how a raw value of each is parsed and checked, and the one-line
 * error a bad value gives.
 */
/** A bad setting. The message is one line: setting, value, what is allowed. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/** Where a raw value came from, for error messages. */
export interface RawValue {
  readonly value: unknown;
  /** `env FANOUT_X`, `cdktf.json context fanout.x` or `default`. */
  readonly from: string;
  /** True when the value is a string from the environment (numbers need parsing). */
  readonly fromEnv: boolean;
}

export interface Setting<T> {
  /** Key under `context.fanout` in cdktf.json. */
  readonly key: string;
  /** Environment variable that overrides the context value. */
  readonly env: string;
  readonly default: T;
  /** One sentence for the README and `help`. */
  readonly description: string;
  /** What is allowed, as printed in errors. */
  readonly allowed: string;
  /** Parses and checks a raw value; returns an error text (without the setting name) or the value. */
  readonly parse: (raw: RawValue) => T | { problem: string };
}

export const show = (value: unknown): string =>
  typeof value === "string" ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));

function isProblem<T>(v: T | { problem: string }): v is { problem: string } {
  return typeof v === "object" && v !== null && "problem" in v;
}

/** Parses a raw value with a setting, throwing a one-line ConfigError on a bad value. */
export function parseSetting<T>(setting: Setting<T>, raw: RawValue): T {
  const parsed = setting.parse(raw);
  if (isProblem(parsed)) {
    throw new ConfigError(
      `Invalid setting ${setting.key} (${raw.from}): ${show(raw.value)} ${parsed.problem}; allowed: ${setting.allowed}`,
    );
  }
  return parsed;
}

const WHOLE_NUMBER = /^-?\d+$/;

/** A setting as the table in `settings.ts` states it; its key is its entry's key there. */
export type SettingSpec<T> = Omit<Setting<T>, "key">;

/** What every entry of the table states. */
interface Common<T> {
  /** Environment variable that overrides the context value. */
  readonly env: string;
  readonly default: T;
  /** One sentence for the README and `help`. */
  readonly description: string;
}

/** A whole number from `min` to `max`, or why not. */
export function wholeNumber({ value, fromEnv }: RawValue, min: number, max: number) {
  let n: number;
  if (fromEnv && typeof value === "string") {
    if (!WHOLE_NUMBER.test(value.trim())) return { problem: "is not a whole number" };
    n = Number(value.trim());
  } else if (typeof value === "number") {
    n = value;
  } else {
    return { problem: "is not a number" };
  }
  if (!Number.isSafeInteger(n)) return { problem: "is not a whole number" };
  if (n < min || n > max) return { problem: "is out of range" };
  return n;
}

export function integer(
  options: Common<number> & { readonly min: number; readonly max: number },
): SettingSpec<number> {
  const { min, max, ...common } = options;
  return {
    ...common,
    allowed: `a whole number from ${min} to ${max}`,
    parse: (raw) => wholeNumber(raw, min, max),
  };
}

export function oneOf<T extends string>(
  options: Common<T> & { readonly values: readonly T[] },
): SettingSpec<T> {
  const { values, ...common } = options;
  return {
    ...common,
    allowed: values.map((v) => `"${v}"`).join(" or "),
    parse: ({ value }) =>
      typeof value === "string" && (values as readonly string[]).includes(value)
        ? (value as T)
        : { problem: "is not a known value" },
  };
}

/** A string matching `pattern`, or `""` (which each such setting gives a meaning). */
export function text(
  options: Common<string> & { readonly pattern: RegExp; readonly allowed: string },
): SettingSpec<string> {
  const { pattern, ...rest } = options;
  return {
    ...rest,
    parse: ({ value }) =>
      typeof value === "string" && (value === "" || pattern.test(value))
        ? value
        : { problem: "is not valid" },
  };
}

export function flag(options: Common<boolean>): SettingSpec<boolean> {
  return {
    ...options,
    allowed: "true or false",
    parse: ({ value }) => {
      if (typeof value === "boolean") return value;
      if (value === "true") return true;
      if (value === "false") return false;
      return { problem: "is not a boolean" };
    },
  };
}

/** The table with each entry's key filled in from its record key. */
export function keyed<S extends Record<string, SettingSpec<unknown>>>(
  specs: S,
): { readonly [K in keyof S & string]: S[K] & { readonly key: K } } {
  return Object.fromEntries(
    Object.entries(specs).map(([key, spec]) => [key, { key, ...spec }]),
  ) as { readonly [K in keyof S & string]: S[K] & { readonly key: K } };
}
