import type { QueueRole } from "../../config/names";
import {
  consumerDimensions,
  isQueueRole,
  METRIC_NAMESPACE,
  QUEUE_ROLES,
  type ConsumerDimensions,
} from "../shared/metrics";
import { CONSUMER_ENV, DEFAULT_MAX_CLOCK_SKEW_MS, type IdempotencyStoreSettings } from "./env";

/** Consumer settings, read once at init from the environment. */
export interface ConsumerConfig {
  /** Fan-out unit name, e.g. `fanout-primary`. */
  readonly unitName: string;
  /** Stack name, e.g. `primary`. */
  readonly stack: string;
  /** Role of the drained queue. */
  readonly role: QueueRole;
  /** How far `recorded_at` may lie after handler start, in ms. */
  readonly maxClockSkewMs: number;
  /** Dimensions of every data point, from the metric contract. */
  readonly dimensions: ConsumerDimensions;
  /** The subscription delivers raw bodies: no SNS envelope is unwrapped. */
  readonly rawMessageDelivery: boolean;
  /** The queue is a FIFO queue: each message group's order is kept across failures. */
  readonly fifo: boolean;
  /** The unit's idempotency store; `undefined`: every record is processed. */
  readonly idempotency?: IdempotencyStoreSettings;
}

/** An optional `true`/`false` variable; unset or empty is false. */
function optionalFlag(env: NodeJS.ProcessEnv, name: string): boolean {
  const text = env[name]?.trim() ?? "";
  if (!["", "true", "false"].includes(text)) {
    throw new Error(`Invalid ${name} ${JSON.stringify(text)}: expected true, false or unset`);
  }
  return text === "true";
}

/** The idempotency store variables: both set, or neither. */
function readIdempotency(env: NodeJS.ProcessEnv): IdempotencyStoreSettings | undefined {
  const tableName = env[CONSUMER_ENV.idempotencyTable]?.trim() ?? "";
  const expiryText = env[CONSUMER_ENV.idempotencyExpiresAfterSeconds]?.trim() ?? "";
  if (tableName === "" && expiryText === "") return undefined;
  if (tableName === "") {
    throw new Error(
      `Missing environment variable ${CONSUMER_ENV.idempotencyTable}: ${CONSUMER_ENV.idempotencyExpiresAfterSeconds} is set`,
    );
  }
  const expiresAfterSeconds = /^\d+$/.test(expiryText) ? Number(expiryText) : NaN;
  if (!Number.isSafeInteger(expiresAfterSeconds) || expiresAfterSeconds < 1) {
    throw new Error(
      `Invalid ${CONSUMER_ENV.idempotencyExpiresAfterSeconds} ${JSON.stringify(expiryText)}: expected a positive integer of seconds`,
    );
  }
  return { tableName, expiresAfterSeconds };
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (value === undefined || value.trim() === "") {
    throw new Error(`Missing environment variable ${name}`);
  }
  return value.trim();
}

/**
 * Reads and validates the consumer's environment (names from `CONSUMER_ENV`).
 *
 * @throws Error naming the variable, the value and what is allowed, on the first bad value
 */
export function loadConsumerConfig(env: NodeJS.ProcessEnv): ConsumerConfig {
  const unitName = required(env, CONSUMER_ENV.serviceName);
  const stack = required(env, CONSUMER_ENV.stack);

  const namespace = env[CONSUMER_ENV.metricsNamespace];
  if (namespace !== undefined && namespace !== METRIC_NAMESPACE) {
    throw new Error(
      `Invalid ${CONSUMER_ENV.metricsNamespace} ${JSON.stringify(namespace)}: the dashboard reads ${METRIC_NAMESPACE}`,
    );
  }

  const role = required(env, CONSUMER_ENV.queueRole);
  if (!isQueueRole(role)) {
    throw new Error(
      `Invalid ${CONSUMER_ENV.queueRole} ${JSON.stringify(role)}: expected one of ${QUEUE_ROLES.join(", ")}`,
    );
  }

  const skewText = env[CONSUMER_ENV.maxClockSkewMs]?.trim();
  let maxClockSkewMs = DEFAULT_MAX_CLOCK_SKEW_MS;
  if (skewText !== undefined && skewText !== "") {
    maxClockSkewMs = /^\d+$/.test(skewText) ? Number(skewText) : NaN;
    if (!Number.isSafeInteger(maxClockSkewMs)) {
      throw new Error(
        `Invalid ${CONSUMER_ENV.maxClockSkewMs} ${JSON.stringify(skewText)}: expected a non-negative integer of milliseconds`,
      );
    }
  }

  const rawMessageDelivery = optionalFlag(env, CONSUMER_ENV.rawMessageDelivery);
  const fifo = optionalFlag(env, CONSUMER_ENV.fifoQueue);

  let dimensions: ConsumerDimensions;
  try {
    dimensions = consumerDimensions(unitName, role);
  } catch (error) {
    throw new Error(`Invalid ${CONSUMER_ENV.serviceName}: ${(error as Error).message}`);
  }
  const idempotency = readIdempotency(env);
  const config = { unitName, stack, role, maxClockSkewMs, dimensions, rawMessageDelivery, fifo };
  return idempotency === undefined ? config : { ...config, idempotency };
}
