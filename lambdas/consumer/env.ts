/**
 * Environment contract of the consumer function: the variables the stack sets on it and the
 * handler reads (`config.ts`), by one set of names.
 */
import type { QueueRole } from "../../config/names";
import { consumerDimensions, METRIC_NAMESPACE } from "../shared/metrics";
import { SERVICE_NAME_ENV, STACK_ENV } from "../shared/env";

/** Names of the environment variables the consumer reads; infrastructure sets exactly these. */
export const CONSUMER_ENV = {
  /** Fan-out unit name `<prefix>-<stack>`; becomes the `service` dimension and log field. */
  serviceName: SERVICE_NAME_ENV,
  /** Must equal {@link METRIC_NAMESPACE}; the consumer refuses to start otherwise. */
  metricsNamespace: "POWERTOOLS_METRICS_NAMESPACE",
  /** Stack name, e.g. `primary`; added to every log line. */
  stack: STACK_ENV,
  /** {@link QueueRole} of the drained queue. */
  queueRole: "FANOUT_QUEUE_ROLE",
  /** Optional: how far `recorded_at` may lie after handler start, in ms (non-negative integer). */
  maxClockSkewMs: "FANOUT_MAX_CLOCK_SKEW_MS",
  /** Optional: `true` when the queue's subscription uses SNS raw message delivery. */
  rawMessageDelivery: "FANOUT_RAW_MESSAGE_DELIVERY",
  /** Optional: `true` when the queue is a FIFO queue (order kept per message group). */
  fifoQueue: "FANOUT_FIFO_QUEUE",
  /** Optional: the unit's idempotency table (each region's replica has this name). */
  idempotencyTable: "FANOUT_IDEMPOTENCY_TABLE",
  /** With the table: how long a processed message stays marked, in seconds. */
  idempotencyExpiresAfterSeconds: "FANOUT_IDEMPOTENCY_EXPIRES_AFTER_SECONDS",
} as const;

/** Default tolerance for a `recorded_at` later than handler start: the shared rule's. */
export { DEFAULT_MAX_CLOCK_SKEW_MS } from "../shared/recorded-at";

/** What infrastructure knows about one consumer. */
export interface ConsumerEnvironmentProps {
  /** Fan-out unit name `<prefix>-<stack>`, e.g. `fanout-primary`. */
  readonly unitName: string;
  /** Stack name, e.g. `primary`. */
  readonly stack: string;
  /** Role of the queue the consumer drains. */
  readonly role: QueueRole;
  /**
   * Tolerance for `recorded_at` in the future, in ms.
   * @default - unset; the consumer applies {@link DEFAULT_MAX_CLOCK_SKEW_MS}
   */
  readonly maxClockSkewMs?: number;
  /**
   * The queue's subscription delivers raw bodies (no SNS envelope).
   * @default - false; the variable is left unset
   */
  readonly rawMessageDelivery?: boolean;
  /**
   * The queue is a FIFO queue: after a record of a message group fails, the rest of that group
   * in the batch is returned unprocessed.
   * @default - false; the variable is left unset
   */
  readonly fifo?: boolean;
  /**
   * The unit's idempotency store: consumers skip messages already processed in any region.
   * @default - none; every record is processed
   */
  readonly idempotency?: IdempotencyStoreSettings;
}

/** Where a consumer marks messages as processed, and for how long. */
export interface IdempotencyStoreSettings {
  /** Name of the unit's DynamoDB table; the consumer uses the replica in its own region. */
  readonly tableName: string;
  /** Seconds a processed message stays marked (the items' TTL). */
  readonly expiresAfterSeconds: number;
}

/**
 * The environment variables a consumer function needs, keyed by name. The infrastructure merges
 * them into the function's environment so names and values match what the consumer reads.
 *
 * @throws Error on an invalid unit name, role, empty stack, negative/non-integer skew, or an
 *   empty idempotency table name or non-positive expiry
 */
export function consumerEnvironment(props: ConsumerEnvironmentProps): Record<string, string> {
  consumerDimensions(props.unitName, props.role);
  if (props.stack.length === 0) {
    throw new Error('Invalid stack name "": expected a non-empty string');
  }
  const env: Record<string, string> = {
    [CONSUMER_ENV.serviceName]: props.unitName,
    [CONSUMER_ENV.metricsNamespace]: METRIC_NAMESPACE,
    [CONSUMER_ENV.stack]: props.stack,
    [CONSUMER_ENV.queueRole]: props.role,
  };
  if (props.maxClockSkewMs !== undefined) {
    if (!Number.isSafeInteger(props.maxClockSkewMs) || props.maxClockSkewMs < 0) {
      throw new Error(
        `Invalid maxClockSkewMs ${props.maxClockSkewMs}: expected a non-negative integer of milliseconds`,
      );
    }
    env[CONSUMER_ENV.maxClockSkewMs] = String(props.maxClockSkewMs);
  }
  if (props.rawMessageDelivery === true) env[CONSUMER_ENV.rawMessageDelivery] = "true";
  if (props.fifo === true) env[CONSUMER_ENV.fifoQueue] = "true";
  if (props.idempotency !== undefined) {
    const { tableName, expiresAfterSeconds } = props.idempotency;
    if (tableName.length === 0) {
      throw new Error('Invalid idempotency table name "": expected a non-empty string');
    }
    if (!Number.isSafeInteger(expiresAfterSeconds) || expiresAfterSeconds < 1) {
      throw new Error(
        `Invalid idempotency expiresAfterSeconds ${expiresAfterSeconds}: expected a positive integer of seconds`,
      );
    }
    env[CONSUMER_ENV.idempotencyTable] = tableName;
    env[CONSUMER_ENV.idempotencyExpiresAfterSeconds] = String(expiresAfterSeconds);
  }
  return env;
}
