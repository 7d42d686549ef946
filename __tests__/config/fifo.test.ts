/**
 * The FIFO settings: what they become, the combinations synth refuses (one line each), and the
 * names of a FIFO unit.
 */
import fc from "fast-check";
import { allNames, FIFO_SUFFIX, nameProblem, unitNames } from "../../config/names";
import { errorOf } from "../support/config-error";
import { defaultConfig } from "../support/synth";

function expectOneLine(message: string, pattern: RegExp): void {
  expect(message).toMatch(pattern);
  expect(message).not.toContain("\n");
}

describe("fifo settings", () => {
  it("leave a standard unit without FIFO configuration by default", () => {
    const config = defaultConfig();
    expect(config).not.toHaveProperty("fifo");
    expect(config.units[0].names.topic).toBe("fanout-primary-topic");
  });

  it("give every unit a FIFO configuration with fifo on", () => {
    expect(defaultConfig({ FANOUT_FIFO: "true" }).fifo).toEqual({
      contentBasedDeduplication: false,
      throughput: "standard",
    });
    expect(
      defaultConfig({
        FANOUT_FIFO: "true",
        FANOUT_CONTENT_BASED_DEDUPLICATION: "true",
        FANOUT_FIFO_THROUGHPUT: "high",
      }).fifo,
    ).toEqual({ contentBasedDeduplication: true, throughput: "high" });
  });

  it("end the topic's and every queue's name in .fifo, and no other name", () => {
    const [unit] = defaultConfig({ FANOUT_FIFO: "true" }).units;
    expect(unit.names.topic).toBe("fanout-primary-topic.fifo");
    for (const q of unit.names.queues) {
      for (const name of [q.queue, q.deadLetterQueue, q.deliveryDeadLetterQueue]) {
        expect(name.endsWith(FIFO_SUFFIX)).toBe(true);
      }
      expect(q.consumerFunction).toBe(`fanout-primary-${q.id}-consumer`);
    }
    expect(Object.values(unit.names.alarmTopics).some((n) => n.endsWith(FIFO_SUFFIX))).toBe(false);
  });

  it.each([
    [
      { fifo: true, batchSize: 20, batchingWindowSeconds: 1 },
      /^Invalid setting batchSize \(cdktf\.json context\.fanout\.batchSize\): 20 is above 10, the most Lambda reads from a FIFO queue per batch \(fifo is true\); allowed: 1 to 10 with fifo$/,
    ],
    [
      { fifo: true, batchingWindowSeconds: 5 },
      /^Invalid setting batchingWindowSeconds \(cdktf\.json context\.fanout\.batchingWindowSeconds\): 5 is a batching window, which Lambda does not support on FIFO queues \(fifo is true\); allowed: 0 with fifo$/,
    ],
    [
      { contentBasedDeduplication: true },
      /^Invalid setting contentBasedDeduplication \(cdktf\.json context\.fanout\.contentBasedDeduplication\): true needs fifo true .*; allowed: false unless fifo is true$/,
    ],
    [
      { fifoThroughput: "high" },
      /^Invalid setting fifoThroughput \(cdktf\.json context\.fanout\.fifoThroughput\): "high" needs fifo true .*; allowed: "standard" unless fifo is true$/,
    ],
  ])("throws when %j", (context, pattern) => {
    expectOneLine(errorOf(context), pattern);
  });

  it("throws when fifoThroughput is unknown, naming the values", () => {
    expectOneLine(
      errorOf({ fifo: true }, { FANOUT_FIFO_THROUGHPUT: "fast" }),
      /^Invalid setting fifoThroughput \(env FANOUT_FIFO_THROUGHPUT\): "fast" is not a known value; allowed: "standard" or "high"$/,
    );
  });

  it("accepts batch sizes 1 to 10 with fifo and keeps the batching window 0", () => {
    for (const batchSize of [1, 10]) {
      const config = defaultConfig({ FANOUT_FIFO: "true", FANOUT_BATCH_SIZE: String(batchSize) });
      expect(config.consumer).toMatchObject({ batchSize, batchingWindowSeconds: 0 });
    }
  });
});

describe("names of a FIFO unit", () => {
  it("count .fifo towards the limit of topic and queue names, and allow it only there", () => {
    const base = "q".repeat(75);
    expect(nameProblem("SQS queue", `${base}.fifo`)).toBeUndefined();
    expect(nameProblem("SQS queue", `${base}x.fifo`)).toMatch(
      /is 81 characters; allowed: at most 80$/,
    );
    expect(nameProblem("SNS topic", "t.fifo")).toBeUndefined();
    expect(nameProblem("SQS queue", "a.fifo.fifo")).toMatch(/characters outside/);
    expect(nameProblem("Lambda function", "f.fifo")).toMatch(/characters outside/);
  });

  // The config loader blames the prefix or the stack map, as without fifo: a unit whose names
  // fit without fifo fits with it, because the consumer's name (the queue's plus "-consumer")
  // reaches Lambda's 64 before the queue's own plus "-delivery-dlq.fifo" reaches SQS's 80.
  it("fit with fifo whenever they fit without it", () => {
    const name = fc.stringMatching(/^[a-z][a-z0-9]{0,49}$/);
    fc.assert(
      fc.property(name, name, (prefix, stack) => {
        const regions = ["us-east-1", "ap-southeast-4", "eu-central-2"];
        const fits = (fifo: boolean) =>
          allNames(unitNames(prefix, stack, "ap-southeast-4", regions, fifo)).every(
            ({ kind, name: n }) => nameProblem(kind, n) === undefined,
          );
        return fits(false) === fits(true);
      }),
    );
  });

  it("blame a long prefix on the prefix with fifo on", () => {
    const prefix = "p".repeat(30);
    expectOneLine(
      errorOf({ prefix, fifo: true }),
      new RegExp(
        `^Invalid setting prefix \\(cdktf\\.json context\\.fanout\\.prefix\\): "${prefix}" with stack "primary" makes Lambda function name "${prefix}-primary-replica-us-west-2-consumer" is 65 characters; allowed: at most 64$`,
      ),
    );
  });
});
