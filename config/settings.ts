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

function integer(
  key: string,
  env: string,
  def: number,
  min: number,
  max: number,
  description: string,
): Setting<number> {
  const allowed = `a whole number from ${min} to ${max}`;
  return {
    key,
    env,
    default: def,
    description,
    allowed,
    parse: ({ value, fromEnv }) => {
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
    },
  };
}

function oneOf<T extends string>(
  key: string,
  env: string,
  def: T,
  values: readonly T[],
  description: string,
): Setting<T> {
  return {
    key,
    env,
    default: def,
    description,
    allowed: values.map((v) => `"${v}"`).join(" or "),
    parse: ({ value }) =>
      typeof value === "string" && (values as readonly string[]).includes(value)
        ? (value as T)
        : { problem: "is not a known value" },
  };
}

function text(
  key: string,
  env: string,
  def: string,
  pattern: RegExp,
  allowed: string,
  description: string,
): Setting<string> {
  return {
    key,
    env,
    default: def,
    description,
    allowed,
    parse: ({ value }) =>
      typeof value === "string" && (value === "" || pattern.test(value))
        ? value
        : { problem: "is not valid" },
  };
}

function flag(key: string, env: string, def: boolean, description: string): Setting<boolean> {
  return {
    key,
    env,
    default: def,
    description,
    allowed: "true or false",
    parse: ({ value }) => {
      if (typeof value === "boolean") return value;
      if (value === "true") return true;
      if (value === "false") return false;
      return { problem: "is not a boolean" };
    },
  };
}

/** AWS region names: `us-east-1`, `eu-central-2`, `us-gov-west-1`, `ap-southeast-5`. */
export const REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
/** Stack names: they become CDKTF stack ids, Terraform state keys and parts of AWS names. */
export const STACK_NAME_PATTERN = /^[a-z][a-z0-9-]*$/;

/** The stack -> home region map, as ordered pairs. */
export type StackMap = readonly (readonly [stack: string, region: string])[];

const stackMap: Setting<StackMap> = {
  key: "stacks",
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

/** CloudWatch Logs accepts only these retention periods. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288,
  3653,
] as const;

const logRetentionDays: Setting<number> = {
  key: "logRetentionDays",
  env: "FANOUT_LOG_RETENTION_DAYS",
  default: 14,
  description: "Retention of every function's log group.",
  allowed: `one of ${LOG_RETENTION_DAYS.join(", ")}`,
  parse: (raw) => {
    const n = integer("", "", 0, 1, 3653, "").parse(raw);
    if (typeof n !== "number") return n;
    return (LOG_RETENTION_DAYS as readonly number[]).includes(n)
      ? n
      : { problem: "is not a CloudWatch Logs retention period" };
  },
};

const DAY = 86_400;
/** SQS message retention bounds, in seconds. */
export const RETENTION_RANGE = { min: 60, max: 14 * DAY } as const;

export const CONSUMER_MODES = ["active-active", "active-standby"] as const;
export type ConsumerMode = (typeof CONSUMER_MODES)[number];

/** All settings, in the order the README and `help` list them. */
export const SETTINGS = {
  prefix: text(
    "prefix",
    "FANOUT_PREFIX",
    "fanout",
    /^[a-z][a-z0-9-]*$/,
    "[a-z][a-z0-9-]*, short enough for every name to fit its AWS limit",
    "Prefix of every physical name: `<prefix>-<stack>-<role>[-<region>]`.",
  ),
  stacks: stackMap,
  consumerMode: oneOf(
    "consumerMode",
    "FANOUT_CONSUMER_MODE",
    "active-active" as ConsumerMode,
    CONSUMER_MODES,
    "`active-active`: every consumer drains its queue; `active-standby`: replica consumers' event source mappings are disabled, so replicas keep messages until failover.",
  ),
  batchSize: integer(
    "batchSize",
    "FANOUT_BATCH_SIZE",
    10,
    1,
    10000,
    "Records per consumer invocation (above 10 needs a batching window of at least 1 s).",
  ),
  batchingWindowSeconds: integer(
    "batchingWindowSeconds",
    "FANOUT_BATCHING_WINDOW_SECONDS",
    0,
    0,
    300,
    "How long the poller waits to fill a batch; 0 gives the lowest latency.",
  ),
  maxConcurrency: integer(
    "maxConcurrency",
    "FANOUT_MAX_CONCURRENCY",
    5,
    2,
    1000,
    "Maximum concurrent consumer invocations per queue (event source mapping scaling config).",
  ),
  consumerTimeoutSeconds: integer(
    "consumerTimeoutSeconds",
    "FANOUT_CONSUMER_TIMEOUT_SECONDS",
    30,
    1,
    900,
    "Consumer function timeout; each queue's visibility timeout is six times this.",
  ),
  consumerMemoryMb: integer(
    "consumerMemoryMb",
    "FANOUT_CONSUMER_MEMORY_MB",
    256,
    128,
    10240,
    "Consumer function memory.",
  ),
  activeRetentionSeconds: integer(
    "activeRetentionSeconds",
    "FANOUT_ACTIVE_RETENTION_SECONDS",
    4 * DAY,
    RETENTION_RANGE.min,
    RETENTION_RANGE.max,
    "Message retention of the active queue.",
  ),
  replicaRetentionSeconds: integer(
    "replicaRetentionSeconds",
    "FANOUT_REPLICA_RETENTION_SECONDS",
    7 * DAY,
    RETENTION_RANGE.min,
    RETENTION_RANGE.max,
    "Message retention of replica queues; longer than the active queue's because a replica is the backup.",
  ),
  deadLetterRetentionSeconds: integer(
    "deadLetterRetentionSeconds",
    "FANOUT_DEAD_LETTER_RETENTION_SECONDS",
    14 * DAY,
    RETENTION_RANGE.min,
    RETENTION_RANGE.max,
    "Message retention of every dead-letter queue; must exceed the retention of the queue it serves.",
  ),
  maxReceiveCount: integer(
    "maxReceiveCount",
    "FANOUT_MAX_RECEIVE_COUNT",
    5,
    1,
    1000,
    "Receives before a message moves to its queue's dead-letter queue.",
  ),
  logRetentionDays,
  apiThrottleRateLimit: integer(
    "apiThrottleRateLimit",
    "FANOUT_API_THROTTLE_RATE_LIMIT",
    100,
    1,
    10000,
    "Steady-state requests per second the producer API accepts on each method.",
  ),
  apiThrottleBurstLimit: integer(
    "apiThrottleBurstLimit",
    "FANOUT_API_THROTTLE_BURST_LIMIT",
    200,
    1,
    5000,
    "Burst of requests the producer API accepts on each method.",
  ),
  alarmEmail: text(
    "alarmEmail",
    "FANOUT_ALARM_EMAIL",
    "",
    /^[^@\s,;]+@[^@\s,;]+\.[A-Za-z]{2,}$/,
    'an e-mail address, or "" for no subscription',
    'Address subscribed to every alarm topic of every stack; "" creates no subscription.',
  ),
  alarmOldestMessageAgeSeconds: integer(
    "alarmOldestMessageAgeSeconds",
    "FANOUT_ALARM_OLDEST_MESSAGE_AGE_SECONDS",
    300,
    60,
    RETENTION_RANGE.max,
    "Alarm when a drained queue's oldest message is older than this (standby replicas: at 80% of their retention).",
  ),
  alarmReplicaEndToEndP99Ms: integer(
    "alarmReplicaEndToEndP99Ms",
    "FANOUT_ALARM_REPLICA_END_TO_END_P99_MS",
    5000,
    1,
    3_600_000,
    "Replication-lag alarm: a replica's end-to-end latency p99 over 5 minutes above this.",
  ),
  alarmApi5xxPercent: integer(
    "alarmApi5xxPercent",
    "FANOUT_ALARM_API_5XX_PERCENT",
    5,
    1,
    100,
    "Alarm when more than this percentage of producer API requests answer 5XX.",
  ),
  stateBucket: text(
    "stateBucket",
    "FANOUT_STATE_BUCKET",
    "",
    /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
    'an S3 bucket name, or "" for local state files',
    'S3 bucket for remote state; "" keeps state in local files `terraform.<stack>.tfstate`.',
  ),
  stateKeyPrefix: text(
    "stateKeyPrefix",
    "FANOUT_STATE_KEY_PREFIX",
    "fanout",
    /^[A-Za-z0-9!_.*'()-]+(\/[A-Za-z0-9!_.*'()-]+)*$/,
    "an S3 key prefix without leading or trailing slash",
    "Key prefix of remote state objects: `<prefix>/<stack>.tfstate`.",
  ),
  stateRegion: text(
    "stateRegion",
    "FANOUT_STATE_REGION",
    "",
    REGION_PATTERN,
    'a region like us-east-1, or "" for the first stack\'s region',
    'Region of the state bucket; "" means the first stack\'s home region.',
  ),
  stateLocking: flag(
    "stateLocking",
    "FANOUT_STATE_LOCKING",
    true,
    "Lock remote state with an S3 lock file (`use_lockfile`, Terraform >= 1.10).",
  ),
} satisfies Record<string, Setting<unknown>>;

export type Settings = { readonly [K in keyof typeof SETTINGS]: (typeof SETTINGS)[K]["default"] };
