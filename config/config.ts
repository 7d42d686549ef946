/**
 * The typed, validated configuration of the app, built before any construct.
 *
 * Layers, last wins: the defaults in `settings.ts`, `context.fanout` in cdktf.json, then
 * `FANOUT_*` environment variables. A bad value throws a one-line `ConfigError`.
 */
import { allNames, nameProblem, unitNames, UnitNames } from "./names";
import {
  ConfigError,
  ConsumerMode,
  parseSetting,
  RawValue,
  Setting,
  SETTINGS,
  Settings,
  VISIBILITY_TIMEOUT_FACTOR,
} from "./settings";

export { ConfigError } from "./settings";

/** Key of the settings object in cdktf.json's `context`. */
export const CONTEXT_KEY = "fanout";

/** One fan-out unit: a stack and its home region. */
export interface UnitConfig {
  /** Stack name: the CDKTF stack id, so `cdktf deploy <name>` addresses it. */
  readonly stack: string;
  readonly homeRegion: string;
  /** Regions of the replica queues: every configured region but the home one. */
  readonly replicaRegions: readonly string[];
  readonly names: UnitNames;
}

export type BackendConfig =
  | { readonly kind: "local" }
  | {
      readonly kind: "s3";
      readonly bucket: string;
      readonly keyPrefix: string;
      readonly region: string;
      readonly locking: boolean;
    };

export interface FanoutConfig {
  readonly prefix: string;
  /** Every configured region, in the order of the stack map. */
  readonly regions: readonly string[];
  readonly units: readonly UnitConfig[];
  readonly consumer: {
    readonly mode: ConsumerMode;
    /** Whether consumers skip messages the unit's idempotency store marks as processed. */
    readonly idempotencyStore: boolean;
    readonly batchSize: number;
    readonly batchingWindowSeconds: number;
    readonly maxConcurrency: number;
    readonly timeoutSeconds: number;
    readonly memoryMb: number;
  };
  readonly queues: {
    readonly activeRetentionSeconds: number;
    readonly replicaRetentionSeconds: number;
    readonly deadLetterRetentionSeconds: number;
    readonly maxReceiveCount: number;
    /** Six times the consumer timeout, as AWS advises for SQS event sources. */
    readonly visibilityTimeoutSeconds: number;
  };
  readonly logRetentionDays: number;
  readonly api: {
    readonly throttleRateLimit: number;
    readonly throttleBurstLimit: number;
  };
  readonly alarms: {
    /** `undefined`: no e-mail subscription. */
    readonly email?: string;
    readonly oldestMessageAgeSeconds: number;
    readonly replicaEndToEndP99Ms: number;
    readonly api5xxPercent: number;
  };
  readonly backend: BackendConfig;
}

export interface ConfigSources {
  /** The value of `context.fanout` in cdktf.json (or a test's stand-in). */
  readonly context?: unknown;
  /** Environment variables; only `FANOUT_*` ones are read. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** Settings with the place each value came from, for messages about combinations. */
export interface ReadSettings {
  readonly values: Settings;
  /** Per setting key: `env FANOUT_X`, `cdktf.json context.fanout.x` or `default`. */
  readonly from: Readonly<Record<string, string>>;
}

/** Reads every setting from its layers, without cross-setting checks. */
export function readSettings({ context = {}, env = {} }: ConfigSources): ReadSettings {
  if (typeof context !== "object" || context === null || Array.isArray(context)) {
    throw new ConfigError(
      `Invalid cdktf.json context.${CONTEXT_KEY}: ${JSON.stringify(context)} is not an object; allowed: an object of settings`,
    );
  }
  const ctx = context as Record<string, unknown>;
  const known = Object.keys(SETTINGS);
  for (const key of Object.keys(ctx)) {
    if (!known.includes(key)) {
      throw new ConfigError(
        `Unknown setting ${key} in cdktf.json context.${CONTEXT_KEY}; allowed: ${known.join(", ")}`,
      );
    }
  }
  const values: Record<string, unknown> = {};
  const from: Record<string, string> = {};
  for (const [name, setting] of Object.entries(SETTINGS) as [string, Setting<unknown>][]) {
    const fromEnv = env[setting.env];
    let raw: RawValue | undefined;
    if (fromEnv !== undefined) {
      raw = { value: fromEnv, from: `env ${setting.env}`, fromEnv: true };
    } else if (ctx[setting.key] !== undefined) {
      raw = {
        value: ctx[setting.key],
        from: `cdktf.json context.${CONTEXT_KEY}.${setting.key}`,
        fromEnv: false,
      };
    }
    from[setting.key] = raw?.from ?? "default";
    values[name] = raw === undefined ? setting.default : parseSetting(setting, raw);
  }
  return { values: values as Settings, from };
}

/** Builds and validates the whole configuration. Throws `ConfigError` on the first problem. */
export function loadConfig(sources: ConfigSources = {}): FanoutConfig {
  const { values: s, from } = readSettings(sources);
  const regions = s.stacks.map(([, region]) => region);

  const problem = (key: string, value: unknown, what: string, allowed: string): never => {
    throw new ConfigError(
      `Invalid setting ${key} (${from[key]}): ${JSON.stringify(value)} ${what}; allowed: ${allowed}`,
    );
  };

  if (s.batchSize > 10 && s.batchingWindowSeconds < 1) {
    problem(
      "batchSize",
      s.batchSize,
      "needs batchingWindowSeconds >= 1 (SQS event sources)",
      "at most 10 with a batching window of 0",
    );
  }
  if (s.idempotencyStore && s.consumerMode !== "active-standby") {
    problem(
      "idempotencyStore",
      s.idempotencyStore,
      `needs consumerMode "active-standby", not ${JSON.stringify(s.consumerMode)} (there every region measures its own copy of each message on purpose)`,
      `false with consumerMode ${JSON.stringify(s.consumerMode)}`,
    );
  }
  for (const key of ["activeRetentionSeconds", "replicaRetentionSeconds"] as const) {
    if (s[key] >= s.deadLetterRetentionSeconds) {
      problem(
        key,
        s[key],
        `is not shorter than deadLetterRetentionSeconds ${s.deadLetterRetentionSeconds} (a dead-letter queue keeps the original enqueue time)`,
        `less than ${s.deadLetterRetentionSeconds}`,
      );
    }
  }

  const units = s.stacks.map(([stack, homeRegion]): UnitConfig => {
    const names = unitNames(s.prefix, stack, homeRegion, regions);
    for (const { kind, name } of allNames(names)) {
      const bad = nameProblem(kind, name);
      if (bad) {
        throw new ConfigError(
          `Invalid setting prefix (${from.prefix}): ${JSON.stringify(s.prefix)} with stack "${stack}" makes ${bad}`,
        );
      }
    }
    return {
      stack,
      homeRegion,
      replicaRegions: regions.filter((r) => r !== homeRegion),
      names,
    };
  });

  return {
    prefix: s.prefix,
    regions,
    units,
    consumer: {
      mode: s.consumerMode,
      idempotencyStore: s.idempotencyStore,
      batchSize: s.batchSize,
      batchingWindowSeconds: s.batchingWindowSeconds,
      maxConcurrency: s.maxConcurrency,
      timeoutSeconds: s.consumerTimeoutSeconds,
      memoryMb: s.consumerMemoryMb,
    },
    queues: {
      activeRetentionSeconds: s.activeRetentionSeconds,
      replicaRetentionSeconds: s.replicaRetentionSeconds,
      deadLetterRetentionSeconds: s.deadLetterRetentionSeconds,
      maxReceiveCount: s.maxReceiveCount,
      visibilityTimeoutSeconds: s.consumerTimeoutSeconds * VISIBILITY_TIMEOUT_FACTOR,
    },
    logRetentionDays: s.logRetentionDays,
    api: {
      throttleRateLimit: s.apiThrottleRateLimit,
      throttleBurstLimit: s.apiThrottleBurstLimit,
    },
    alarms: {
      email: s.alarmEmail === "" ? undefined : s.alarmEmail,
      oldestMessageAgeSeconds: s.alarmOldestMessageAgeSeconds,
      replicaEndToEndP99Ms: s.alarmReplicaEndToEndP99Ms,
      api5xxPercent: s.alarmApi5xxPercent,
    },
    backend:
      s.stateBucket === ""
        ? { kind: "local" }
        : {
            kind: "s3",
            bucket: s.stateBucket,
            keyPrefix: s.stateKeyPrefix,
            region: s.stateRegion === "" ? regions[0] : s.stateRegion,
            locking: s.stateLocking,
          },
  };
}
