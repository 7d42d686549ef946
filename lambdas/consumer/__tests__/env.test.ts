import { CONSUMER_ENV, consumerEnvironment } from "../env";
import { replicaStoreEnv } from "./factories";

describe("consumerEnvironment", () => {
  it("sets exactly the variables the consumer reads", () => {
    expect(
      consumerEnvironment({ unitName: "fanout-primary", stack: "primary", role: "replica" }),
    ).toStrictEqual({
      POWERTOOLS_SERVICE_NAME: "fanout-primary",
      POWERTOOLS_METRICS_NAMESPACE: "SnsSqsMultiRegion",
      FANOUT_STACK: "primary",
      FANOUT_QUEUE_ROLE: "replica",
    });
    expect(
      consumerEnvironment({
        unitName: "fanout-primary",
        stack: "primary",
        role: "active",
        maxClockSkewMs: 0,
      })[CONSUMER_ENV.maxClockSkewMs],
    ).toBe("0");
  });

  it("throws when the clock skew is negative or fractional", () => {
    const props = { unitName: "fanout-primary", stack: "primary", role: "active" } as const;
    expect(() => consumerEnvironment({ ...props, maxClockSkewMs: -1 })).toThrow(
      "Invalid maxClockSkewMs -1: expected a non-negative integer of milliseconds",
    );
    expect(() => consumerEnvironment({ ...props, maxClockSkewMs: 1.5 })).toThrow(/1\.5/);
  });

  it("names the idempotency table and its expiry when the unit has a store", () => {
    expect(replicaStoreEnv()).toMatchObject({
      FANOUT_IDEMPOTENCY_TABLE: "fanout-primary-idempotency",
      FANOUT_IDEMPOTENCY_EXPIRES_AFTER_SECONDS: "1296000",
    });
  });

  it("throws when the idempotency table has no name or a non-positive expiry", () => {
    const props = { unitName: "fanout-primary", stack: "primary", role: "active" } as const;
    expect(() =>
      consumerEnvironment({ ...props, idempotency: { tableName: "", expiresAfterSeconds: 60 } }),
    ).toThrow('Invalid idempotency table name "": expected a non-empty string');
    expect(() =>
      consumerEnvironment({ ...props, idempotency: { tableName: "t", expiresAfterSeconds: 0 } }),
    ).toThrow("Invalid idempotency expiresAfterSeconds 0: expected a positive integer of seconds");
  });

  it("throws when the stack is empty", () => {
    expect(() =>
      consumerEnvironment({ unitName: "fanout-primary", stack: "", role: "active" }),
    ).toThrow('Invalid stack name "": expected a non-empty string');
  });
});
