/**
 * The typed, validated configuration of the app, built before any construct.
 *
 * Layers, last wins: the defaults in `settings.ts`, `context.fanout` in cdktf.json, then
 * `FANOUT_*` environment variables. A bad value throws a one-line `ConfigError`.
 */
import {
  checkContextKeys,
  checkEnvironmentNames,
  checkSettingKeys,
  cliContext,
  CONTEXT_KEY,
} from "./environment";
import { fifoConfig, type FifoConfig } from "./fifo";
import type { SubscriptionFilters } from "./filter-policy";
import { allNames, nameProblem, unitNames, UnitNames } from "./names";
import { crossRegionDeliveryProblem } from "./opt-in-regions";
import { partitionOf } from "./regions";
import {
  ConfigError,
  ConsumerMode,
  MIN_LAMBDA_MAX_RECEIVE_COUNT,
  parseSetting,
  RawValue,
  REGION_PATTERN,
  Setting,
  SETTINGS,
  Settings,
  VISIBILITY_TIMEOUT_FACTOR,
} from "./settings";

export { ConfigError } from "./settings";
export type { FifoConfig } from "./fifo";
export { CONTEXT_KEY };

/**
 * Name of the role API Gateway writes CloudWatch logs with, when the unit sets its home
 * region's account settings (`manageApiGatewayAccount`). Shorter than the unit's replica
 * consumer names (`<unit>-replica-<region>-consumer`), which are checked against the same IAM
 * role limit, so it always fits.
 */
export function apiGatewayCloudWatchRoleName(names: UnitNames): string {
  return `${names.unit}-apigw-cloudwatch`;
}

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
  /** FIFO topic and queues in every unit (setting `fifo`); `undefined`: standard ones. */
  readonly fifo?: FifoConfig;
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
    /** Six times the consumer timeout plus the batching window, as AWS advises for SQS event sources. */
    readonly visibilityTimeoutSeconds: number;
    /** How the topic delivers to each queue. */
    readonly subscription: {
      /** Filter policies by `active`, `replicas` or region (see `filter-policy.ts`). */
      readonly filters: SubscriptionFilters;
      /** SNS raw message delivery: the body as published, no envelope. */
      readonly rawMessageDelivery: boolean;
    };
  };
  readonly logRetentionDays: number;
  readonly api: {
    readonly throttleRateLimit: number;
    readonly throttleBurstLimit: number;
    /** Limits of the open health route, apart from the other methods'. */
    readonly healthThrottleRateLimit: number;
    readonly healthThrottleBurstLimit: number;
    /** Whether each stack sets its home region's API Gateway account CloudWatch role. */
    readonly manageAccount: boolean;
  };
  readonly alarms: {
    /** `undefined`: no e-mail subscription. */
    readonly email?: string;
    readonly oldestMessageAgeSeconds: number;
    readonly replicaEndToEndP99Ms: number;
    readonly api5xxPercent: number;
    readonly api4xxPercent: number;
    /** Standby replicas: how long the drain alarm waits once their consumer runs. */
    readonly standbyDrainGraceMinutes: number;
  };
  readonly backend: BackendConfig;
}

export interface ConfigSources {
  /** The value of `context.fanout` in cdktf.json (or a test's stand-in). */
  readonly context?: unknown;
  /** Environment variables; only `FANOUT_*` ones are read. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * cdktf.json's whole `context`, to catch a misspelled `fanout` key.
   * @default - `CDKTF_CONTEXT_JSON` of `env`, as the cdktf CLI sets it for the app
   */
  readonly wholeContext?: unknown;
}

/** Settings with the place each value came from, for messages about combinations. */
export interface ReadSettings {
  readonly values: Settings;
  /** Per setting key: `env FANOUT_<NAME>`, `cdktf.json context.fanout.x` or `default`. */
  readonly from: Readonly<Record<string, string>>;
}

/** Reads every setting from its layers, without cross-setting checks. */
export function readSettings({
  context = {},
  env = {},
  wholeContext = cliContext(env),
}: ConfigSources): ReadSettings {
  checkContextKeys(wholeContext);
  checkEnvironmentNames(env);
  if (typeof context !== "object" || context === null || Array.isArray(context)) {
    throw new ConfigError(
      `Invalid cdktf.json context.${CONTEXT_KEY}: ${JSON.stringify(context)} is not an object; allowed: an object of settings`,
    );
  }
  const ctx = context as Record<string, unknown>;
  checkSettingKeys(ctx);
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

/** The first name of a unit that breaks its AWS limit, described, or `undefined`. */
function firstNameProblem(names: UnitNames): string | undefined {
  for (const { kind, name } of allNames(names)) {
    const bad = nameProblem(kind, name);
    if (bad) return bad;
  }
  return undefined;
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

  // FIFO's limits first: with fifo, the batching window rule below has no way out.
  const fifo = fifoConfig(s, problem);
  if (s.batchSize > 10 && s.batchingWindowSeconds < 1) {
    problem(
      "batchSize",
      s.batchSize,
      "needs batchingWindowSeconds >= 1 (SQS event sources)",
      "at most 10 with a batching window of 0",
    );
  }
  if (s.maxReceiveCount < MIN_LAMBDA_MAX_RECEIVE_COUNT && !s.allowLowMaxReceiveCount) {
    problem(
      "maxReceiveCount",
      s.maxReceiveCount,
      `is below ${MIN_LAMBDA_MAX_RECEIVE_COUNT}, AWS's minimum for Lambda consumers (a throttled or retried batch counts a receive, so healthy messages would reach the dead-letter queue)`,
      `${MIN_LAMBDA_MAX_RECEIVE_COUNT} to 1000, or set allowLowMaxReceiveCount to true to accept it`,
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

  if (s.replicaRetentionSeconds < s.activeRetentionSeconds) {
    problem(
      "replicaRetentionSeconds",
      s.replicaRetentionSeconds,
      `is shorter than activeRetentionSeconds ${s.activeRetentionSeconds} (${from.activeRetentionSeconds}); a replica is the backup and keeps messages at least as long`,
      `at least ${s.activeRetentionSeconds}`,
    );
  }
  const partition = partitionOf(regions[0]);
  if (s.stateRegion !== "" && partitionOf(s.stateRegion) !== partition) {
    problem(
      "stateRegion",
      s.stateRegion,
      `is in partition ${partitionOf(s.stateRegion)}, the stacks' regions in ${partition}`,
      `a region of partition ${partition}, or "" for the first stack's region`,
    );
  }
  for (const [stack, home] of s.stacks) {
    for (const region of regions) {
      const why = crossRegionDeliveryProblem(home, region);
      if (why) {
        problem(
          "stacks",
          Object.fromEntries(s.stacks),
          `puts stack "${stack}" in ${home}, whose topic would feed a replica in ${region}, but ${why}`,
          "at most one opt-in region among the stacks' regions (config/opt-in-regions.ts)",
        );
      }
    }
  }
  for (const key of Object.keys(s.subscriptionFilterPolicies)) {
    if (REGION_PATTERN.test(key) && !regions.includes(key)) {
      problem(
        "subscriptionFilterPolicies",
        s.subscriptionFilterPolicies,
        `names region "${key}", which is not a region of the stacks`,
        `"active", "replicas" or one of ${regions.join(", ")} as keys`,
      );
    }
  }

  const units = s.stacks.map(([stack, homeRegion]): UnitConfig => {
    const names = unitNames(s.prefix, stack, homeRegion, regions, s.fifo);
    // With fifo the queue names grow by ".fifo" (5 characters), yet stay within SQS's 80 while
    // the consumer names (the queue's name plus "-consumer") fit Lambda's 64: the prefix or
    // the stack map is the one to blame, as without fifo (__tests__/config/fifo.test.ts).
    const bad = firstNameProblem(names);
    if (bad) {
      // Blame the prefix when the default prefix would fit, else the stack map.
      const defaultFits = !firstNameProblem(
        unitNames(SETTINGS.prefix.default, stack, homeRegion, regions),
      );
      throw new ConfigError(
        defaultFits
          ? `Invalid setting prefix (${from.prefix}): ${JSON.stringify(s.prefix)} with stack "${stack}" makes ${bad}`
          : `Invalid setting stacks (${from.stacks}): stack "${stack}" in ${homeRegion} with prefix ${JSON.stringify(s.prefix)} makes ${bad}`,
      );
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
    ...(fifo && { fifo }),
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
      visibilityTimeoutSeconds:
        s.consumerTimeoutSeconds * VISIBILITY_TIMEOUT_FACTOR + s.batchingWindowSeconds,
      subscription: {
        filters: s.subscriptionFilterPolicies,
        rawMessageDelivery: s.rawMessageDelivery,
      },
    },
    logRetentionDays: s.logRetentionDays,
    api: {
      throttleRateLimit: s.apiThrottleRateLimit,
      throttleBurstLimit: s.apiThrottleBurstLimit,
      healthThrottleRateLimit: s.apiHealthThrottleRateLimit,
      healthThrottleBurstLimit: s.apiHealthThrottleBurstLimit,
      manageAccount: s.manageApiGatewayAccount,
    },
    alarms: {
      email: s.alarmEmail === "" ? undefined : s.alarmEmail,
      oldestMessageAgeSeconds: s.alarmOldestMessageAgeSeconds,
      replicaEndToEndP99Ms: s.alarmReplicaEndToEndP99Ms,
      api5xxPercent: s.alarmApi5xxPercent,
      api4xxPercent: s.alarmApi4xxPercent,
      standbyDrainGraceMinutes: s.alarmStandbyDrainGraceMinutes,
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
