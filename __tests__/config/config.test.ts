import { isOptInRegion } from "../../config/opt-in-regions";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { ConfigError, loadConfig } from "../../config/config";
import { allNames, NAME_LIMITS, nameProblem } from "../../config/names";
import { SETTINGS } from "../../config/settings";
import { cdktfJsonContext } from "../../inspect/synth";
import { errorOf } from "../support/config-error";
import { defaultConfig, synthAll } from "../support/synth";

describe("default configuration", () => {
  const config = defaultConfig();

  it("has the primary and secondary units in us-east-1 and us-west-2", () => {
    expect(config.units.map((u) => [u.stack, u.homeRegion, u.replicaRegions])).toEqual([
      ["primary", "us-east-1", ["us-west-2"]],
      ["secondary", "us-west-2", ["us-east-1"]],
    ]);
    expect(config.regions).toEqual(["us-east-1", "us-west-2"]);
  });

  it("keeps replicas longer than the active queue, and dead letters longest", () => {
    const q = config.queues;
    expect(q.replicaRetentionSeconds).toBeGreaterThan(q.activeRetentionSeconds);
    expect(q.deadLetterRetentionSeconds).toBeGreaterThan(q.replicaRetentionSeconds);
  });

  it("sets visibility timeout to six consumer timeouts", () => {
    expect(config.queues.visibilityTimeoutSeconds).toBe(6 * config.consumer.timeoutSeconds);
  });

  it("leaves the idempotency store off", () => {
    expect(config.consumer.idempotencyStore).toBe(false);
  });

  it("uses local state by default", () => {
    expect(config.backend).toEqual({ kind: "local" });
  });

  it("names resources <prefix>-<stack>-<role>[-<region>]", () => {
    const [primary] = config.units;
    expect(primary.names.topic).toBe("fanout-primary-topic");
    expect(primary.names.queues.map((q) => [q.queue, q.deadLetterQueue])).toEqual([
      ["fanout-primary-active", "fanout-primary-active-dlq"],
      ["fanout-primary-replica-us-west-2", "fanout-primary-replica-us-west-2-dlq"],
    ]);
  });

  it("equals the defaults in code, so cdktf.json and the settings table cannot drift", () => {
    const fromCode = Object.fromEntries(
      Object.values(SETTINGS).map((s) => [
        s.key,
        s.key === "stacks" ? Object.fromEntries(s.default as [string, string][]) : s.default,
      ]),
    );
    expect(cdktfJsonContext()).toEqual(fromCode);
  });
});

describe("documentation", () => {
  const doc = readFileSync(join(__dirname, "..", "..", "docs", "configuration.md"), "utf8");
  const rows = doc.split("\n").filter((line) => line.startsWith("| `"));

  it.each(Object.values(SETTINGS).map((s) => [s.key, s.env, s.default] as const))(
    "lists setting %s with its variable %s and its default in docs/configuration.md",
    (key, env, def) => {
      const row = rows.find((line) => line.startsWith(`| \`${key}\``));
      expect(row).toBeDefined();
      expect(row).toContain(`\`${env}\``);
      const shown = Array.isArray(def)
        ? JSON.stringify(Object.fromEntries(def)).replace(/,/g, ", ").replace(/:/g, ": ")
        : JSON.stringify(def).replace(/^"(.+)"$/, "$1");
      expect(row).toContain(`\`${shown}\``);
    },
  );
});

describe("environment overrides", () => {
  it("takes the stack map from FANOUT_STACKS", () => {
    const config = defaultConfig({
      FANOUT_STACKS: "primary=us-east-1, secondary=us-west-2,tertiary=eu-west-1",
    });
    expect(config.units.map((u) => u.stack)).toEqual(["primary", "secondary", "tertiary"]);
    expect(config.units[2].replicaRegions).toEqual(["us-east-1", "us-west-2"]);
  });

  it("parses whole numbers and booleans from strings", () => {
    const config = defaultConfig({
      FANOUT_BATCH_SIZE: "7",
      FANOUT_STATE_BUCKET: "my-state",
      FANOUT_STATE_LOCKING: "false",
    });
    expect(config.consumer.batchSize).toBe(7);
    expect(config.backend).toEqual({
      kind: "s3",
      bucket: "my-state",
      keyPrefix: "fanout",
      region: "us-east-1",
      locking: false,
    });
  });

  it("wins over cdktf.json context", () => {
    const config = loadConfig({ context: { prefix: "ctx" }, env: { FANOUT_PREFIX: "env" } });
    expect(config.prefix).toBe("env");
  });
});

describe("invalid configuration stops synth with one line", () => {
  const cases: [string, Record<string, unknown>, Record<string, string>, RegExp][] = [
    [
      "a region is malformed",
      { stacks: { primary: "us-east-1", secondary: "uswest2" } },
      {},
      /^Invalid setting stacks \(cdktf\.json context\.fanout\.stacks\): .* has malformed region "uswest2" for stack "secondary"; allowed: /,
    ],
    [
      "a region is malformed in the environment",
      {},
      { FANOUT_STACKS: "primary=us-east-1,secondary=US-WEST-2" },
      /^Invalid setting stacks \(env FANOUT_STACKS\): .*malformed region "US-WEST-2"/,
    ],
    [
      "a region appears twice",
      { stacks: { primary: "us-east-1", secondary: "us-east-1" } },
      {},
      /has region "us-east-1" twice \(stacks "primary" and "secondary"\); allowed: /,
    ],
    [
      "only one region is configured",
      { stacks: { primary: "us-east-1" } },
      {},
      /has 1 region\(s\), fewer than two; allowed: at least two entries/,
    ],
    [
      "a stack name is not [a-z][a-z0-9-]*",
      { stacks: { Primary: "us-east-1", secondary: "us-west-2" } },
      {},
      /has stack name "Primary" outside \[a-z\]\[a-z0-9-\]\*/,
    ],
    [
      "a stack entry in the environment is malformed",
      {},
      { FANOUT_STACKS: "primary=us-east-1;secondary=us-west-2" },
      /has a malformed entry "primary=us-east-1;secondary=us-west-2"/,
    ],
    [
      "the prefix makes a Lambda function name too long",
      { prefix: "a-very-long-prefix-for-this-deployment" },
      {},
      /^Invalid setting prefix \(cdktf\.json context\.fanout\.prefix\): "a-very-long-prefix-for-this-deployment" with stack "primary" makes Lambda function name "a-very-long-prefix-for-this-deployment-primary-replica-us-west-2-consumer" is 73 characters; allowed: at most 64$/,
    ],
    [
      "the prefix has characters AWS names do not allow",
      { prefix: "fan.out" },
      {},
      /^Invalid setting prefix \(.*\): "fan\.out" is not valid; allowed: \[a-z\]/,
    ],
    [
      "retention is below 60 seconds",
      { activeRetentionSeconds: 59 },
      {},
      /^Invalid setting activeRetentionSeconds \(.*\): 59 is out of range; allowed: a whole number from 60 to 1209600$/,
    ],
    [
      "retention is above 14 days",
      {},
      { FANOUT_REPLICA_RETENTION_SECONDS: "1209601" },
      /^Invalid setting replicaRetentionSeconds \(env FANOUT_REPLICA_RETENTION_SECONDS\): "1209601" is out of range; allowed: a whole number from 60 to 1209600$/,
    ],
    [
      "a queue keeps messages as long as its dead-letter queue",
      { replicaRetentionSeconds: 1209600 },
      {},
      /^Invalid setting replicaRetentionSeconds \(cdktf\.json context\.fanout\.replicaRetentionSeconds\): 1209600 is not shorter than deadLetterRetentionSeconds 1209600/,
    ],
    [
      "the consumer mode is unknown",
      { consumerMode: "active-passive" },
      {},
      /^Invalid setting consumerMode \(.*\): "active-passive" is not a known value; allowed: "active-active" or "active-standby"$/,
    ],
    [
      "a number from the environment is not numeric",
      {},
      { FANOUT_BATCH_SIZE: "ten" },
      /^Invalid setting batchSize \(env FANOUT_BATCH_SIZE\): "ten" is not a whole number; allowed: a whole number from 1 to 10000$/,
    ],
    [
      "a number from the environment is fractional",
      {},
      { FANOUT_MAX_RECEIVE_COUNT: "2.5" },
      /^Invalid setting maxReceiveCount \(env FANOUT_MAX_RECEIVE_COUNT\): "2\.5" is not a whole number/,
    ],
    [
      "a number from the environment is empty",
      {},
      { FANOUT_CONSUMER_TIMEOUT_SECONDS: "" },
      /^Invalid setting consumerTimeoutSeconds \(env FANOUT_CONSUMER_TIMEOUT_SECONDS\): "" is not a whole number/,
    ],
    [
      "a number in cdktf.json is a string",
      { batchSize: "10" },
      {},
      /^Invalid setting batchSize \(cdktf\.json context\.fanout\.batchSize\): "10" is not a number/,
    ],
    [
      "concurrency is negative",
      {},
      { FANOUT_MAX_CONCURRENCY: "-1" },
      /^Invalid setting maxConcurrency \(env FANOUT_MAX_CONCURRENCY\): "-1" is out of range; allowed: a whole number from 2 to 1000$/,
    ],
    [
      "a batch above 10 has no batching window",
      { batchSize: 50 },
      {},
      /^Invalid setting batchSize \(cdktf\.json context\.fanout\.batchSize\): 50 needs batchingWindowSeconds >= 1/,
    ],
    [
      "the log retention is not a CloudWatch period",
      { logRetentionDays: 10 },
      {},
      /^Invalid setting logRetentionDays \(.*\): 10 is not a CloudWatch Logs retention period; allowed: one of 1, 3, 5, 7, 14,/,
    ],
    [
      "the state bucket name is not an S3 name",
      {},
      { FANOUT_STATE_BUCKET: "My_Bucket" },
      /^Invalid setting stateBucket \(env FANOUT_STATE_BUCKET\): "My_Bucket" is not valid; allowed: an S3 bucket name/,
    ],
    [
      "locking is not a boolean",
      {},
      { FANOUT_STATE_LOCKING: "yes" },
      /^Invalid setting stateLocking \(env FANOUT_STATE_LOCKING\): "yes" is not a boolean; allowed: true or false$/,
    ],
    [
      "the idempotency store is on in active-active mode",
      { idempotencyStore: true },
      {},
      /^Invalid setting idempotencyStore \(cdktf\.json context\.fanout\.idempotencyStore\): true needs consumerMode "active-standby", not "active-active" .*; allowed: false with consumerMode "active-active"$/,
    ],
    [
      "the idempotency store flag is not a boolean",
      {},
      { FANOUT_IDEMPOTENCY_STORE: "on" },
      /^Invalid setting idempotencyStore \(env FANOUT_IDEMPOTENCY_STORE\): "on" is not a boolean; allowed: true or false$/,
    ],
    [
      "cdktf.json names an unknown setting",
      { batchsize: 10 },
      {},
      /^Unknown setting batchsize in cdktf\.json context\.fanout; allowed: prefix, stacks, /,
    ],
  ];

  it.each(cases)("throws when %s", (_, context, env, expected) => {
    const message = errorOf(context, env);
    expect(message).toMatch(expected);
    expect(message).not.toContain("\n");
  });

  it("throws when the context is not an object", () => {
    expect(() => loadConfig({ context: ["primary"] })).toThrow(
      /^Invalid cdktf\.json context\.fanout: \["primary"\] is not an object/,
    );
  });
});

describe("properties", () => {
  const REGIONS = [
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "eu-west-1",
    "eu-central-1",
    "eu-central-2",
    "ap-southeast-2",
    "ap-southeast-5",
    "ca-west-1",
    "mx-central-1",
    "il-central-1",
  ];
  const stackName = fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/);
  const validSources = fc
    .record({
      prefix: fc.stringMatching(/^[a-z](-?[a-z0-9]){0,9}$/).filter((p) => p.length <= 10),
      names: fc.uniqueArray(stackName, { minLength: 2, maxLength: 4 }),
      regions: fc.shuffledSubarray(REGIONS, { minLength: 4, maxLength: 4 }),
      active: fc.integer({ min: 60, max: 1209599 }),
      replicaExtra: fc.integer({ min: 0, max: 1209599 - 60 }),
      batchSize: fc.integer({ min: 1, max: 10 }),
      maxConcurrency: fc.integer({ min: 2, max: 1000 }),
      mode: fc.constantFrom("active-active", "active-standby"),
    })
    .map((v) => ({
      prefix: v.prefix,
      stacks: Object.fromEntries(v.names.map((n, i) => [n, v.regions[i]])),
      activeRetentionSeconds: v.active,
      replicaRetentionSeconds: Math.min(v.active + v.replicaExtra, 1209599),
      batchSize: v.batchSize,
      maxConcurrency: v.maxConcurrency,
      consumerMode: v.mode,
    }))
    // SNS does not deliver between two opt-in regions: such apps are refused (tested apart).
    .filter((c) => Object.values(c.stacks).filter(isOptInRegion).length <= 1);

  it("every valid configuration loads with every name within its AWS limit", () => {
    fc.assert(
      fc.property(validSources, (context) => {
        const config = loadConfig({ context });
        expect(config.units).toHaveLength(Object.keys(context.stacks).length);
        for (const unit of config.units) {
          for (const { kind, name } of allNames(unit.names)) {
            expect(nameProblem(kind, name)).toBeUndefined();
            expect(name.length).toBeLessThanOrEqual(NAME_LIMITS[kind]);
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it("every valid configuration synthesizes, one active and n-1 replicas per stack", () => {
    fc.assert(
      fc.property(validSources, (context) => {
        const config = loadConfig({ context });
        const stacks = synthAll(config);
        const n = config.regions.length;
        for (const unit of config.units) {
          const { json } = stacks[unit.stack];
          const queues = Object.values(json.resource.aws_sqs_queue);
          // queue + DLQ + subscription DLQ per region
          expect(queues).toHaveLength(3 * n);
          for (const q of queues) {
            expect(String(q.name).length).toBeLessThanOrEqual(NAME_LIMITS["SQS queue"]);
          }
          expect(Object.values(json.resource.aws_sns_topic_subscription)).toHaveLength(n);
        }
      }),
      { numRuns: 12 },
    );
  });

  it("the idempotency store loads exactly when it is off or the mode is active-standby", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.constantFrom("true", "false", "TRUE", "1", ""), fc.string()),
        fc.constantFrom("active-active", "active-standby"),
        (raw, mode) => {
          let store: boolean | undefined;
          try {
            store = defaultConfig({
              FANOUT_IDEMPOTENCY_STORE: raw,
              FANOUT_CONSUMER_MODE: mode,
            }).consumer.idempotencyStore;
          } catch (error) {
            expect(error).toBeInstanceOf(ConfigError);
            expect((error as Error).message).not.toContain("\n");
            expect((error as Error).message).toMatch(/^Invalid setting idempotencyStore /);
            expect(raw === "false" || (raw === "true" && mode === "active-standby")).toBe(false);
            return;
          }
          expect(store).toBe(raw === "true");
          if (store) expect(mode).toBe("active-standby");
        },
      ),
      { numRuns: 200 },
    );
  });

  it("a whole number from the environment either parses exactly or fails with one line", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.integer().map(String)), (raw) => {
        let batchSize: number | undefined;
        try {
          batchSize = defaultConfig({ FANOUT_BATCH_SIZE: raw }).consumer.batchSize;
        } catch (error) {
          expect(error).toBeInstanceOf(ConfigError);
          expect((error as Error).message).not.toContain("\n");
          expect((error as Error).message).toContain("FANOUT_BATCH_SIZE");
          return;
        }
        expect(batchSize).toBe(Number(raw.trim()));
        expect(batchSize).toBeGreaterThanOrEqual(1);
        expect(batchSize).toBeLessThanOrEqual(10);
      }),
      { numRuns: 300 },
    );
  });
});
