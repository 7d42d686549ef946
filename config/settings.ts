/**
 * Every user setting: its context key (under `fanout` in cdktf.json), its environment
 * variable, its default, and how a raw value is parsed and checked.
 *
 * This table is the single source of the defaults; cdktf.json repeats them so users can see
 * and edit them, and a test keeps the two equal.
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

const show = (value: unknown): string =>
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

/** A setting as the table states it; its key is the key of its entry in {@link SETTINGS}. */
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
function wholeNumber({ value, fromEnv }: RawValue, min: number, max: number) {
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

function integer(
  options: Common<number> & { readonly min: number; readonly max: number },
): SettingSpec<number> {
  const { min, max, ...common } = options;
  return {
    ...common,
    allowed: `a whole number from ${min} to ${max}`,
    parse: (raw) => wholeNumber(raw, min, max),
  };
}

function oneOf<T extends string>(
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
function text(
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

function flag(options: Common<boolean>): SettingSpec<boolean> {
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
function keyed<S extends Record<string, SettingSpec<unknown>>>(
  specs: S,
): { readonly [K in keyof S & string]: S[K] & { readonly key: K } } {
  return Object.fromEntries(
    Object.entries(specs).map(([key, spec]) => [key, { key, ...spec }]),
  ) as { readonly [K in keyof S & string]: S[K] & { readonly key: K } };
}

/** AWS region names: `us-east-1`, `eu-central-2`, `us-gov-west-1`, `ap-southeast-5`. */
export const REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
/** Stack names: they become CDKTF stack ids, Terraform state keys and parts of AWS names. */
export const STACK_NAME_PATTERN = /^[a-z][a-z0-9-]*$/;

/** The stack -> home region map, as ordered pairs. */
export type StackMap = readonly (readonly [stack: string, region: string])[];

const stackMap: SettingSpec<StackMap> = {
  env: "FANOUT_STACKS",
  default: [
    ["primary", "us-east-1"],
    ["secondary", "us-west-2"],
  ],
  description:
    "Stack name -> home region, one fan-out unit (topic, queues, consumers, API, dashboard) per entry; env form `primary=us-east-1,secondary=us-west-2`.",
  allowed:
    "at least two entries of stack name [a-z][a-z0-9-]* -> region like us-east-1, each region once",
  parse: ({ value, fromEnv }) => {
    let pairs: [string, string][];
    if (fromEnv && typeof value === "string") {
      pairs = [];
      for (const entry of value.split(",")) {
        const m = /^\s*([^=\s]+)\s*=\s*([^=\s]+)\s*$/.exec(entry);
        if (!m) return { problem: `has a malformed entry ${show(entry)}` };
        pairs.push([m[1], m[2]]);
      }
    } else if (typeof value === "object" && value !== null && !Array.isArray(value)) {
      pairs = Object.entries(value).map(([k, v]) => [k, v as string]);
    } else {
      return { problem: "is not a map of stack name to region" };
    }
    const seenStacks = new Map<string, string>();
    const seenRegions = new Map<string, string>();
    for (const [stack, region] of pairs) {
      if (!STACK_NAME_PATTERN.test(stack)) {
        return { problem: `has stack name ${show(stack)} outside [a-z][a-z0-9-]*` };
      }
      if (typeof region !== "string" || !REGION_PATTERN.test(region)) {
        return { problem: `has malformed region ${show(region)} for stack "${stack}"` };
      }
      if (seenStacks.has(stack)) return { problem: `names stack "${stack}" twice` };
      const other = seenRegions.get(region);
      if (other !== undefined) {
        return { problem: `has region "${region}" twice (stacks "${other}" and "${stack}")` };
      }
      seenStacks.set(stack, region);
      seenRegions.set(region, stack);
    }
    if (pairs.length < 2) return { problem: `has ${pairs.length} region(s), fewer than two` };
    return pairs;
  },
};

/** The retention periods CloudWatch Logs accepts, in days. */
export const LOG_RETENTION_PERIODS_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288,
  3653,
] as const;

const logRetentionDays: SettingSpec<number> = {
  env: "FANOUT_LOG_RETENTION_DAYS",
  default: 14,
  description: "Retention of every function's log group.",
  allowed: `one of ${LOG_RETENTION_PERIODS_DAYS.join(", ")}`,
  parse: (raw) => {
    const periods: readonly number[] = LOG_RETENTION_PERIODS_DAYS;
    const n = wholeNumber(raw, periods[0], periods[periods.length - 1]);
    if (typeof n !== "number") return n;
    return periods.includes(n) ? n : { problem: "is not a CloudWatch Logs retention period" };
  },
};

const DAY = 86_400;
/** SQS message retention bounds, in seconds. */
export const RETENTION_RANGE = { min: 60, max: 14 * DAY } as const;

/** AWS advises a queue visibility timeout of at least six times the consumer's timeout. */
export const VISIBILITY_TIMEOUT_FACTOR = 6;

export const CONSUMER_MODES = ["active-active", "active-standby"] as const;
export type ConsumerMode = (typeof CONSUMER_MODES)[number];

/** All settings, in the order the README and `help` list them. */
export const SETTINGS = keyed({
  prefix: text({
    env: "FANOUT_PREFIX",
    default: "fanout",
    pattern: /^[a-z][a-z0-9-]*$/,
    allowed: "[a-z][a-z0-9-]*, short enough for every name to fit its AWS limit",
    description: "Prefix of every physical name: `<prefix>-<stack>-<role>[-<region>]`.",
  }),
  stacks: stackMap,
  consumerMode: oneOf<ConsumerMode>({
    env: "FANOUT_CONSUMER_MODE",
    default: "active-active",
    values: CONSUMER_MODES,
    description:
      "`active-active`: every consumer drains its queue; `active-standby`: replica consumers' event source mappings are disabled, so replicas keep messages until failover.",
  }),
  idempotencyStore: flag({
    env: "FANOUT_IDEMPOTENCY_STORE",
    default: false,
    description:
      "Consumers skip messages any region already processed, by a DynamoDB global table per unit keyed by SNS MessageId; needs `active-standby`.",
  }),
  batchSize: integer({
    env: "FANOUT_BATCH_SIZE",
    default: 10,
    min: 1,
    max: 10000,
    description:
      "Records per consumer invocation (above 10 needs a batching window of at least 1 s).",
  }),
  batchingWindowSeconds: integer({
    env: "FANOUT_BATCHING_WINDOW_SECONDS",
    default: 0,
    min: 0,
    max: 300,
    description: "How long the poller waits to fill a batch; 0 gives the lowest latency.",
  }),
  maxConcurrency: integer({
    env: "FANOUT_MAX_CONCURRENCY",
    default: 5,
    min: 2,
    max: 1000,
    description:
      "Maximum concurrent consumer invocations per queue (event source mapping scaling config).",
  }),
  consumerTimeoutSeconds: integer({
    env: "FANOUT_CONSUMER_TIMEOUT_SECONDS",
    default: 30,
    min: 1,
    max: 900,
    description: "Consumer function timeout; each queue's visibility timeout is six times this.",
  }),
  consumerMemoryMb: integer({
    env: "FANOUT_CONSUMER_MEMORY_MB",
    default: 256,
    min: 128,
    max: 10240,
    description: "Consumer function memory.",
  }),
  activeRetentionSeconds: integer({
    env: "FANOUT_ACTIVE_RETENTION_SECONDS",
    default: 4 * DAY,
    min: RETENTION_RANGE.min,
    max: RETENTION_RANGE.max,
    description: "Message retention of the active queue.",
  }),
  replicaRetentionSeconds: integer({
    env: "FANOUT_REPLICA_RETENTION_SECONDS",
    default: 7 * DAY,
    min: RETENTION_RANGE.min,
    max: RETENTION_RANGE.max,
    description:
      "Message retention of replica queues; longer than the active queue's because a replica is the backup.",
  }),
  deadLetterRetentionSeconds: integer({
    env: "FANOUT_DEAD_LETTER_RETENTION_SECONDS",
    default: 14 * DAY,
    min: RETENTION_RANGE.min,
    max: RETENTION_RANGE.max,
    description:
      "Message retention of every dead-letter queue; must exceed the retention of the queue it serves.",
  }),
  maxReceiveCount: integer({
    env: "FANOUT_MAX_RECEIVE_COUNT",
    default: 5,
    min: 1,
    max: 1000,
    description: "Receives before a message moves to its queue's dead-letter queue.",
  }),
  logRetentionDays,
  apiThrottleRateLimit: integer({
    env: "FANOUT_API_THROTTLE_RATE_LIMIT",
    default: 100,
    min: 1,
    max: 10000,
    description: "Steady-state requests per second the producer API accepts on each method.",
  }),
  apiThrottleBurstLimit: integer({
    env: "FANOUT_API_THROTTLE_BURST_LIMIT",
    default: 200,
    min: 1,
    max: 5000,
    description: "Burst of requests the producer API accepts on each method.",
  }),
  alarmEmail: text({
    env: "FANOUT_ALARM_EMAIL",
    default: "",
    pattern: /^[^@\s,;]+@[^@\s,;]+\.[A-Za-z]{2,}$/,
    allowed: 'an e-mail address, or "" for no subscription',
    description:
      'Address subscribed to every alarm topic of every stack; "" creates no subscription.',
  }),
  alarmOldestMessageAgeSeconds: integer({
    env: "FANOUT_ALARM_OLDEST_MESSAGE_AGE_SECONDS",
    default: 300,
    min: 60,
    max: RETENTION_RANGE.max,
    description:
      "Alarm when a drained queue's oldest message is older than this (standby replicas: at 80% of their retention).",
  }),
  alarmReplicaEndToEndP99Ms: integer({
    env: "FANOUT_ALARM_REPLICA_END_TO_END_P99_MS",
    default: 5000,
    min: 1,
    max: 3_600_000,
    description:
      "Replication-lag alarm: a replica's end-to-end latency p99 over 5 minutes above this.",
  }),
  alarmApi5xxPercent: integer({
    env: "FANOUT_ALARM_API_5XX_PERCENT",
    default: 5,
    min: 1,
    max: 100,
    description: "Alarm when more than this percentage of producer API requests answer 5XX.",
  }),
  stateBucket: text({
    env: "FANOUT_STATE_BUCKET",
    default: "",
    pattern: /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
    allowed: 'an S3 bucket name, or "" for local state files',
    description:
      'S3 bucket for remote state; "" keeps state in local files `terraform.<stack>.tfstate`.',
  }),
  stateKeyPrefix: text({
    env: "FANOUT_STATE_KEY_PREFIX",
    default: "fanout",
    pattern: /^[A-Za-z0-9!_.*'()-]+(\/[A-Za-z0-9!_.*'()-]+)*$/,
    allowed: "an S3 key prefix without leading or trailing slash",
    description: "Key prefix of remote state objects: `<prefix>/<stack>.tfstate`.",
  }),
  stateRegion: text({
    env: "FANOUT_STATE_REGION",
    default: "",
    pattern: REGION_PATTERN,
    allowed: 'a region like us-east-1, or "" for the first stack\'s region',
    description: 'Region of the state bucket; "" means the first stack\'s home region.',
  }),
  stateLocking: flag({
    env: "FANOUT_STATE_LOCKING",
    default: true,
    description: "Lock remote state with an S3 lock file (`use_lockfile`, Terraform >= 1.10).",
  }),
});

export type Settings = { readonly [K in keyof typeof SETTINGS]: (typeof SETTINGS)[K]["default"] };
