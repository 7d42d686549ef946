/**
 * Every user setting: its context key (under `fanout` in cdktf.json), its environment
 * variable, its default, and how a raw value is parsed and checked.
 *
 * This table is the single source of the defaults; cdktf.json repeats them so users can see
 * and edit them, and a test keeps the two equal.
 */
import { partitionOf, PROVIDER_NAME, regionProblem } from "./regions";
import {
  flag,
  integer,
  keyed,
  oneOf,
  type SettingSpec,
  show,
  text,
  wholeNumber,
} from "./setting-kinds";
import { subscriptionFiltersSetting } from "./filter-policy";

export {
  ConfigError,
  contextType,
  parseSetting,
  type RawValue,
  type Setting,
  type SettingSpec,
} from "./setting-kinds";

/** The shape of AWS region names: `us-east-1`, `us-gov-west-1`, `eusc-de-east-1`. */
export const REGION_PATTERN = /^[a-z]{2,4}(-[a-z]+)+-\d{1,2}$/;

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
  allowed: `at least two entries of stack name [a-z][a-z0-9-]* -> a region ${PROVIDER_NAME} knows, each region once, all in one partition`,
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
      const unknown = regionProblem(region);
      if (unknown)
        return { problem: `has region "${region}" for stack "${stack}", which ${unknown}` };
      if (seenStacks.has(stack)) return { problem: `names stack "${stack}" twice` };
      const other = seenRegions.get(region);
      if (other !== undefined) {
        return { problem: `has region "${region}" twice (stacks "${other}" and "${stack}")` };
      }
      seenStacks.set(stack, region);
      seenRegions.set(region, stack);
    }
    if (pairs.length < 2) return { problem: `has ${pairs.length} region(s), fewer than two` };
    const [first, ...others] = pairs;
    const otherPartition = others.find(([, r]) => partitionOf(r) !== partitionOf(first[1]));
    if (otherPartition) {
      const [stack, region] = otherPartition;
      return {
        problem: `mixes partitions: "${first[1]}" (stack "${first[0]}") is in ${partitionOf(first[1])}, "${region}" (stack "${stack}") in ${partitionOf(region)}`,
      };
    }
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

/**
 * AWS advises a queue visibility timeout of at least six times the consumer's timeout, plus the
 * batching window: the poller holds received messages while it fills a batch.
 */
export const VISIBILITY_TIMEOUT_FACTOR = 6;

/** AWS advises a `maxReceiveCount` of at least 5 for queues Lambda consumes. */
export const MIN_LAMBDA_MAX_RECEIVE_COUNT = 5;

/**
 * The most records Lambda's event source mapping takes per batch from a FIFO queue (and FIFO
 * queues take no batching window).
 */
export const FIFO_MAX_BATCH_SIZE = 10;

/**
 * FIFO throughput of every topic and queue of a unit: `standard` (the topic's 300 messages per
 * second and per message group, deduplication across the whole topic or queue) or `high`
 * (throughput and deduplication per message group).
 */
export const FIFO_THROUGHPUT_MODES = ["standard", "high"] as const;
export type FifoThroughputMode = (typeof FIFO_THROUGHPUT_MODES)[number];

export const CONSUMER_MODES = ["active-active", "active-standby"] as const;
export type ConsumerMode = (typeof CONSUMER_MODES)[number];

/** All settings, in the order the README and `help` list them. */
export const SETTINGS = keyed({
  prefix: text({
    env: "FANOUT_PREFIX",
    default: "fanout",
    pattern: /^[a-z](-?[a-z0-9])*$/,
    allowEmpty: false,
    allowed:
      "[a-z][a-z0-9-]* without a trailing or doubled -, short enough for every name to fit its AWS limit",
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
      "Consumers skip messages any region already processed, by a DynamoDB global table per unit keyed by SNS MessageId (with raw delivery by the `idempotency_key` attribute); needs `active-standby`.",
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
    description:
      "Consumer function timeout; each queue's visibility timeout is six times this plus the batching window.",
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
    description: `Receives before a message moves to its queue's dead-letter queue; below ${MIN_LAMBDA_MAX_RECEIVE_COUNT} needs allowLowMaxReceiveCount.`,
  }),
  allowLowMaxReceiveCount: flag({
    env: "FANOUT_ALLOW_LOW_MAX_RECEIVE_COUNT",
    default: false,
    description: `Accept a maxReceiveCount below ${MIN_LAMBDA_MAX_RECEIVE_COUNT}, which AWS advises against for Lambda consumers (a throttled or retried batch counts a receive, so healthy messages reach the DLQ); for tests that want a fast redrive.`,
  }),
  subscriptionFilterPolicies: subscriptionFiltersSetting(REGION_PATTERN),
  rawMessageDelivery: flag({
    env: "FANOUT_RAW_MESSAGE_DELIVERY",
    default: false,
    description:
      "SNS raw message delivery on every subscription: no envelope, so no SNS legs (docs/latency.md).",
  }),
  fifo: flag({
    env: "FANOUT_FIFO",
    default: false,
    description:
      "Every unit a FIFO topic with FIFO queues and dead-letter queues (names end in `.fifo`): ordering and deduplication per message group, which producers must name (docs/architecture.md#fifo-units).",
  }),
  contentBasedDeduplication: flag({
    env: "FANOUT_CONTENT_BASED_DEDUPLICATION",
    default: false,
    description:
      "With `fifo`: the topic and queues deduplicate by a SHA-256 of the body when a publish names no deduplication id; false: every publish names one (the API takes the `Idempotency-Key`).",
  }),
  fifoThroughput: oneOf<FifoThroughputMode>({
    env: "FANOUT_FIFO_THROUGHPUT",
    default: "standard",
    values: FIFO_THROUGHPUT_MODES,
    description:
      "With `fifo`: `standard` (throughput and deduplication per topic and queue) or `high` (per message group: topic `fifo_throughput_scope` MessageGroup, queues `deduplication_scope` messageGroup and `fifo_throughput_limit` perMessageGroupId).",
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
  apiHealthThrottleRateLimit: integer({
    env: "FANOUT_API_HEALTH_THROTTLE_RATE_LIMIT",
    default: 10,
    min: 1,
    max: 10000,
    description:
      "Steady-state requests per second the open `GET /health` accepts, apart from the other methods' limits (Route 53 health checkers send about one a second).",
  }),
  apiHealthThrottleBurstLimit: integer({
    env: "FANOUT_API_HEALTH_THROTTLE_BURST_LIMIT",
    default: 20,
    min: 1,
    max: 5000,
    description: "Burst of requests the open `GET /health` accepts.",
  }),
  manageApiGatewayAccount: flag({
    env: "FANOUT_MANAGE_API_GATEWAY_ACCOUNT",
    default: false,
    description:
      "Whether each stack sets its home region's API Gateway account settings to a CloudWatch role of its own (one per account and region, shared by every REST API there; the stage's access log needs one); false: set once outside this app (docs/deploy.md).",
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
      "Alarm when a drained queue's oldest message is older than this (standby replicas: see alarmStandbyDrainGraceMinutes).",
  }),
  alarmStandbyDrainGraceMinutes: integer({
    env: "FANOUT_ALARM_STANDBY_DRAIN_GRACE_MINUTES",
    default: 60,
    min: 5,
    max: 1440,
    description:
      "Standby replicas: alarm when, once their consumer runs (after a failover), the oldest message stays at 80% of their retention this long, in whole 5-minute periods: the replayed backlog is expiring before it drains.",
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
  alarmApi4xxPercent: integer({
    env: "FANOUT_ALARM_API_4XX_PERCENT",
    default: 10,
    min: 1,
    max: 100,
    description:
      "Alarm when more than this percentage of producer API requests answer 4XX (refused signatures, throttling: an attack or a broken producer).",
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
  stateRegion: {
    ...text({
      env: "FANOUT_STATE_REGION",
      default: "",
      pattern: REGION_PATTERN,
      allowed: `a region ${PROVIDER_NAME} knows in the stacks' partition, or "" for the first stack's region`,
      description: 'Region of the state bucket; "" means the first stack\'s home region.',
    }),
    parse: ({ value }) => {
      if (value === "") return value;
      if (typeof value !== "string" || !REGION_PATTERN.test(value))
        return { problem: "is not valid" };
      const unknown = regionProblem(value);
      return unknown ? { problem: unknown } : value;
    },
  },
  stateLocking: flag({
    env: "FANOUT_STATE_LOCKING",
    default: true,
    description: "Lock remote state with an S3 lock file (`use_lockfile`, Terraform >= 1.10).",
  }),
});

export type Settings = { readonly [K in keyof typeof SETTINGS]: (typeof SETTINGS)[K]["default"] };
