/**
 * The consumer of a FIFO queue (`FANOUT_FIFO_QUEUE=true`): records in order, one by one; after
 * a record of a message group fails, the group's later records are returned unprocessed so SQS
 * hands the group out again in its order, while other groups go on; HeldBack counts them.
 */
import type { SQSRecord } from "aws-lambda";
import fc from "fast-check";
import { BATCH_METRICS, HELD_BACK_METRIC } from "../../shared/metrics";
import { consumerEnvironment } from "../env";
import { createConsumer } from "../handler";
import { REPLICA_ENV, STARTED_AT, captureStdout, snsBody, sqsEvent, sqsRecord } from "./factories";

const FIFO_ENV = consumerEnvironment({
  unitName: "fanout-primary",
  stack: "primary",
  role: "active",
  fifo: true,
});

/** A record of message group `group`: measurable unless `bad`. */
function groupRecord(id: string, group: string, bad = false): SQSRecord {
  return sqsRecord({
    messageId: id,
    body: bad ? "{not json" : snsBody({ recorded_at: STARTED_AT - 100 }),
    attributes: { MessageGroupId: group, SequenceNumber: "1", MessageDeduplicationId: id },
  });
}

async function invoke(env: NodeJS.ProcessEnv, records: SQSRecord[]) {
  const consumer = createConsumer(env, { clock: () => STARTED_AT });
  const capture = captureStdout();
  try {
    const response = await consumer.handler(sqsEvent(records));
    const main = capture.emf().filter((blob) => !("Reason" in blob));
    const value = (name: string) => main.map((blob) => blob[name]).find((v) => v !== undefined);
    return { failed: response.batchItemFailures.map((f) => f.itemIdentifier), value };
  } finally {
    capture.restore();
  }
}

describe("a FIFO consumer", () => {
  it("fails the rest of a failed group, in order, and processes the other groups", async () => {
    const { failed, value } = await invoke(FIFO_ENV, [
      groupRecord("a1", "A"),
      groupRecord("b1", "B"),
      groupRecord("a2", "A", true),
      groupRecord("b2", "B"),
      groupRecord("a3", "A"),
      groupRecord("c1", "C"),
    ]);
    expect(failed).toEqual(["a2", "a3"]);
    expect(value(BATCH_METRICS.Processed.name)).toBe(4);
    expect(value(BATCH_METRICS.Failed.name)).toBe(1);
    expect(value(HELD_BACK_METRIC.name)).toBe(1);
    expect(value(BATCH_METRICS.BatchSize.name)).toBe(6);
  });

  it("reports HeldBack 0 when every record passes", async () => {
    const { failed, value } = await invoke(FIFO_ENV, [groupRecord("a1", "A")]);
    expect(failed).toEqual([]);
    expect(value(HELD_BACK_METRIC.name)).toBe(0);
  });

  it("never passes a record of a group after one of that group failed (any batch)", async () => {
    const batch = fc.array(
      fc.record({ group: fc.constantFrom("A", "B", "C"), bad: fc.boolean() }),
      { minLength: 1, maxLength: 10 },
    );
    await fc.assert(
      fc.asyncProperty(batch, async (entries) => {
        const records = entries.map((e, i) => groupRecord(`m${i}`, e.group, e.bad));
        const { failed, value } = await invoke(FIFO_ENV, records);
        // A record is rejected when it is bad and reached; held back once its group failed.
        const failedGroups = new Set<string>();
        const expected: string[] = [];
        let rejected = 0;
        entries.forEach((e, i) => {
          if (failedGroups.has(e.group)) {
            expected.push(`m${i}`);
          } else if (e.bad) {
            rejected += 1;
            failedGroups.add(e.group);
            expected.push(`m${i}`);
          }
        });
        expect(failed).toEqual(expected);
        expect(value(BATCH_METRICS.Failed.name)).toBe(rejected);
        expect(value(HELD_BACK_METRIC.name)).toBe(expected.length - rejected);
      }),
      { numRuns: 30 },
    );
  });
});

describe("a standard consumer", () => {
  it("goes on after a failure in any group and emits no HeldBack", async () => {
    const { failed, value } = await invoke(REPLICA_ENV, [
      groupRecord("a1", "A", true),
      groupRecord("a2", "A"),
    ]);
    expect(failed).toEqual(["a1"]);
    expect(value(HELD_BACK_METRIC.name)).toBeUndefined();
  });
});
