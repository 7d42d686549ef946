import { appendFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { journalOf, openJournal, readJournal } from "../runtime/journal";
import type { DeliveryRecord } from "../runtime/types";

function record(
  at: number,
  sqsMessageId: string,
  outcome: DeliveryRecord["outcome"] = "processed",
): DeliveryRecord {
  return {
    at,
    stack: "primary",
    functionName: "fanout-primary-active-consumer",
    region: "us-east-1",
    queueArn: "arn:aws:sqs:us-east-1:123456789012:fanout-primary-active",
    sqsMessageId,
    snsMessageId: `sns-${sqsMessageId}`,
    receiveCount: 1,
    outcome,
  };
}

describe("delivery journal", () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "fanout-journal-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("appends one JSON object a line, in order, and reads them back", async () => {
    const journal = journalOf(dir);
    expect(journal.path).toBe(join(dir, "deliveries.jsonl"));
    journal.append(record(1, "a"), record(2, "b", "failed"));
    journal.append(record(3, "c"));
    const lines = readFileSync(journal.path, "utf8").trimEnd().split("\n");
    expect(lines.map((line) => JSON.parse(line).sqsMessageId)).toEqual(["a", "b", "c"]);
    expect(await journal.read()).toEqual([
      record(1, "a"),
      record(2, "b", "failed"),
      record(3, "c"),
    ]);
    journal.close();
  });

  it("keeps a raw delivery's idempotency key, and no SNS message id it never had", async () => {
    const raw: DeliveryRecord = { ...record(5, "r"), idempotencyKey: "key-r" };
    delete (raw as { snsMessageId?: string }).snsMessageId;
    const journal = journalOf(dir);
    journal.append(record(4, "e"), raw);
    const [enveloped, read] = await journal.read(4);
    expect(read).toEqual(raw);
    expect(read).not.toHaveProperty("snsMessageId");
    expect(enveloped).not.toHaveProperty("idempotencyKey");
    expect(JSON.parse(readFileSync(journal.path, "utf8").trimEnd().split("\n")[1])).toMatchObject({
      sqsMessageId: "r",
      idempotencyKey: "key-r",
    });
    journal.close();
  });

  it("reads only the records at or after since", async () => {
    const journal = journalOf(dir);
    journal.append(record(10, "a"), record(20, "b"), record(30, "c"));
    expect((await journal.read(20)).map((r) => r.sqsMessageId)).toEqual(["b", "c"]);
    journal.close();
  });

  it("keeps what another journal of the same file wrote (append-only, reopened after close)", async () => {
    const path = join(dir, "nested", "deliveries.jsonl");
    const first = openJournal(path);
    first.append(record(1, "a"));
    first.close();
    const second = openJournal(path);
    second.append(record(2, "b"));
    first.append(record(3, "c"));
    expect((await second.read()).map((r) => r.sqsMessageId)).toEqual(["a", "b", "c"]);
    first.close();
    second.close();
  });

  it("answers an empty journal before the first record, and skips a half-written last line", async () => {
    const path = join(dir, "deliveries.jsonl");
    expect(readJournal(path)).toEqual([]);
    openJournal(path).append(record(1, "a"));
    appendFileSync(path, '{"at": 2, "sqsMess');
    expect(readJournal(path).map((r) => r.sqsMessageId)).toEqual(["a"]);
  });
});
