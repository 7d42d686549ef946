import { consumerEnvironment } from "../env";
import { loadConsumerConfig } from "../config";
import { REPLICA_ENV, STORE_SETTINGS, replicaStoreEnv } from "./factories";

describe("loadConsumerConfig", () => {
  it("reads what consumerEnvironment writes", () => {
    const env = consumerEnvironment({
      unitName: "fanout-secondary",
      stack: "secondary",
      role: "active",
      maxClockSkewMs: 5_000,
    });
    expect(loadConsumerConfig(env)).toStrictEqual({
      unitName: "fanout-secondary",
      stack: "secondary",
      role: "active",
      maxClockSkewMs: 5_000,
      dimensions: { service: "fanout-secondary", Role: "active" },
      rawMessageDelivery: false,
      fifo: false,
    });
  });

  it("reads the FIFO queue flag consumerEnvironment writes", () => {
    const env = consumerEnvironment({
      unitName: "fanout-primary",
      stack: "primary",
      role: "active",
      fifo: true,
    });
    expect(env.FANOUT_FIFO_QUEUE).toBe("true");
    expect(loadConsumerConfig(env).fifo).toBe(true);
    expect(loadConsumerConfig(REPLICA_ENV).fifo).toBe(false);
  });

  it("reads the idempotency store consumerEnvironment writes, and none when it writes none", () => {
    expect(loadConsumerConfig(replicaStoreEnv()).idempotency).toStrictEqual(STORE_SETTINGS);
    expect(loadConsumerConfig(REPLICA_ENV)).not.toHaveProperty("idempotency");
  });

  it("defaults the clock-skew tolerance to one minute", () => {
    expect(loadConsumerConfig(REPLICA_ENV).maxClockSkewMs).toBe(60_000);
  });

  it.each([
    [
      { POWERTOOLS_SERVICE_NAME: undefined },
      "Missing environment variable POWERTOOLS_SERVICE_NAME",
    ],
    [{ FANOUT_STACK: " " }, "Missing environment variable FANOUT_STACK"],
    [{ FANOUT_QUEUE_ROLE: undefined }, "Missing environment variable FANOUT_QUEUE_ROLE"],
    [
      { FANOUT_QUEUE_ROLE: "dr" },
      'Invalid FANOUT_QUEUE_ROLE "dr": expected one of active, replica',
    ],
    [
      { POWERTOOLS_METRICS_NAMESPACE: "Other" },
      'Invalid POWERTOOLS_METRICS_NAMESPACE "Other": the dashboard reads SnsSqsMultiRegion',
    ],
    [
      { FANOUT_MAX_CLOCK_SKEW_MS: "-5" },
      'Invalid FANOUT_MAX_CLOCK_SKEW_MS "-5": expected a non-negative integer of milliseconds',
    ],
    [{ FANOUT_MAX_CLOCK_SKEW_MS: "1e3" }, /FANOUT_MAX_CLOCK_SKEW_MS "1e3"/],
    [{ POWERTOOLS_SERVICE_NAME: "fanout primary" }, /^Invalid POWERTOOLS_SERVICE_NAME: /],
    [
      { FANOUT_RAW_MESSAGE_DELIVERY: "yes" },
      'Invalid FANOUT_RAW_MESSAGE_DELIVERY "yes": expected true, false or unset',
    ],
    [{ FANOUT_FIFO_QUEUE: "1" }, 'Invalid FANOUT_FIFO_QUEUE "1": expected true, false or unset'],
    [
      { FANOUT_IDEMPOTENCY_EXPIRES_AFTER_SECONDS: "60" },
      "Missing environment variable FANOUT_IDEMPOTENCY_TABLE: FANOUT_IDEMPOTENCY_EXPIRES_AFTER_SECONDS is set",
    ],
    [
      { FANOUT_IDEMPOTENCY_TABLE: "t" },
      'Invalid FANOUT_IDEMPOTENCY_EXPIRES_AFTER_SECONDS "": expected a positive integer of seconds',
    ],
    [
      { FANOUT_IDEMPOTENCY_TABLE: "t", FANOUT_IDEMPOTENCY_EXPIRES_AFTER_SECONDS: "0" },
      /FANOUT_IDEMPOTENCY_EXPIRES_AFTER_SECONDS "0"/,
    ],
  ])("throws when the environment has %p", (override, message) => {
    expect(() => loadConsumerConfig({ ...REPLICA_ENV, ...override })).toThrow(message);
  });
});
