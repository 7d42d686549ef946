import {
  PublishBatchCommand,
  SNSClient,
  type PublishBatchCommandInput,
  type PublishBatchCommandOutput,
} from "@aws-sdk/client-sns";
import { SendMessageBatchCommand, SQSClient } from "@aws-sdk/client-sqs";
import { mockClient } from "aws-sdk-client-mock";
import { formatLoadTestSummary, loadTest, type LoadTestOptions } from "../load-test";
import { lineProgress } from "../progress";
import { drive, fakeHttp, sendingRig, type RigOptions } from "./helpers";

const snsMock = mockClient(SNSClient);
const sqsMock = mockClient(SQSClient);
beforeEach(() => {
  snsMock.reset();
  sqsMock.reset();
});

const PRIMARY_TOPIC = "arn:aws:sns:us-east-1:123456789012:fanout-primary-topic";
const SECONDARY_TOPIC = "arn:aws:sns:us-west-2:123456789012:fanout-secondary-topic";

type Entry = NonNullable<PublishBatchCommandInput["PublishBatchRequestEntries"]>[number];
const seqOf = (entry: Entry): number => JSON.parse(entry.Message!).seq;
const entries = (input: PublishBatchCommandInput): Entry[] => input.PublishBatchRequestEntries!;
const allOk = (input: PublishBatchCommandInput): PublishBatchCommandOutput =>
  ({
    Successful: entries(input).map((e) => ({ Id: e.Id, MessageId: `msg-${e.Id}` })),
    Failed: [],
  }) as unknown as PublishBatchCommandOutput;

function setUp(overrides: Partial<LoadTestOptions> & RigOptions = {}) {
  const { controller, sender, lines, print } = sendingRig(overrides, true);
  const options: LoadTestOptions = {
    controller,
    sender,
    producer: "load",
    messages: 25,
    concurrency: 4,
    timeoutMs: 1000,
    maxAttempts: 3,
    progress: lineProgress(print),
    stop: new AbortController().signal,
    random: () => 0, // no backoff wait in tests
    ...overrides,
  };
  return { options, lines, sender };
}

describe("load-test batching", () => {
  it("sends 25 messages as PublishBatch calls of 10, 10 and 5", async () => {
    snsMock.on(PublishBatchCommand).callsFake(allOk);
    const { options } = setUp({ concurrency: 1 });
    const result = await loadTest(options);

    const calls = snsMock.commandCalls(PublishBatchCommand);
    expect(calls.map((c) => entries(c.args[0].input).length)).toEqual([10, 10, 5]);
    expect(calls.every((c) => c.args[0].input.TopicArn === PRIMARY_TOPIC)).toBe(true);
    const first = entries(calls[0].args[0].input)[0];
    expect(first.Id).toBe("m1");
    expect(JSON.parse(first.Message!)).toEqual({
      recorded_at: expect.any(Number),
      seq: 1,
      producer: "load",
    });
    expect(result.delivered).toHaveLength(25);
    expect(result.failed).toEqual([]);
    expect(result.latencies).toHaveLength(3);
  });

  it("publishes in the stack's home region", async () => {
    const regions: string[] = [];
    snsMock.on(PublishBatchCommand).callsFake(async (input, getClient) => {
      regions.push(await getClient().config.region());
      return allOk(input);
    });
    await loadTest(setUp({ messages: 5 }).options);
    expect(regions).toEqual(["us-east-1"]);
  });

  it("keeps at most `concurrency` calls in flight", async () => {
    let inFlight = 0;
    let most = 0;
    snsMock.on(PublishBatchCommand).callsFake(async (input) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight -= 1;
      return allOk(input);
    });
    const result = await loadTest(setUp({ messages: 200, concurrency: 3 }).options);
    expect(most).toBe(3);
    expect(result.delivered).toHaveLength(200);
  });

  it("uses SendMessageBatch in tens for --via sqs", async () => {
    sqsMock.on(SendMessageBatchCommand).callsFake((input) => ({
      Successful: input.Entries.map((e: { Id: string }) => ({ Id: e.Id, MessageId: e.Id })),
      Failed: [],
    }));
    const result = await loadTest(setUp({ via: "sqs", concurrency: 1 }).options);
    const calls = sqsMock.commandCalls(SendMessageBatchCommand);
    expect(calls.map((c) => c.args[0].input.Entries!.length)).toEqual([10, 10, 5]);
    expect(calls[0].args[0].input.QueueUrl).toBe(
      "https://sqs.us-east-1.amazonaws.com/123456789012/fanout-primary-active",
    );
    expect(result.delivered).toHaveLength(25);
  });

  it("sends one signed POST per message for --via api", async () => {
    const http = fakeHttp((request) => ({
      status: 202,
      body: JSON.stringify({ messageId: `api-${JSON.parse(request.body!).seq}` }),
    }));
    const result = await loadTest(setUp({ via: "api", messages: 7, http: http.client }).options);
    expect(http.requests).toHaveLength(7);
    expect(http.requests[0].url).toBe(
      "https://abcprimary.execute-api.us-east-1.amazonaws.com/prod/messages",
    );
    expect(http.requests[0].headers?.authorization).toMatch(/^AWS4-HMAC-SHA256 /);
    expect(result.delivered.map((d) => d.seq).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });
});

describe("load-test retries", () => {
  it("re-sends exactly the entries PublishBatch reported as failed", async () => {
    snsMock
      .on(PublishBatchCommand)
      .callsFakeOnce((input) => ({
        Successful: entries(input)
          .filter((e) => e.Id !== "m3" && e.Id !== "m7")
          .map((e) => ({ Id: e.Id, MessageId: `msg-${e.Id}` })),
        Failed: [
          { Id: "m3", Code: "InternalError", Message: "try again", SenderFault: false },
          { Id: "m7", Code: "Throttled", Message: "slow down", SenderFault: false },
        ],
      }))
      .callsFake(allOk);
    const result = await loadTest(setUp({ messages: 10, concurrency: 1 }).options);

    const calls = snsMock.commandCalls(PublishBatchCommand);
    expect(calls).toHaveLength(2);
    const resent = entries(calls[1].args[0].input);
    expect(resent.map((e) => e.Id)).toEqual(["m3", "m7"]);
    // Same payload as the first try: same seq and recorded_at.
    const firstTry = entries(calls[0].args[0].input).find((e) => e.Id === "m3")!;
    expect(resent[0].Message).toBe(firstTry.Message);
    expect(result.delivered.map((d) => d.seq).sort((a, b) => a - b)).toEqual([
      1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
    ]);
    expect(result.resent).toBe(2);
    expect(result.failed).toEqual([]);
  });

  it("reports entries still failing after the last attempt, with ids and reason", async () => {
    snsMock.on(PublishBatchCommand).callsFake((input) => ({
      Successful: entries(input)
        .filter((e) => e.Id !== "m4")
        .map((e) => ({ Id: e.Id, MessageId: "x" })),
      Failed: entries(input)
        .filter((e) => e.Id === "m4")
        .map((e) => ({ Id: e.Id, Code: "InternalError", Message: "boom", SenderFault: false })),
    }));
    const { options, sender } = setUp({ messages: 10, maxAttempts: 3 });
    const result = await loadTest(options);

    expect(snsMock.commandCalls(PublishBatchCommand)).toHaveLength(3);
    expect(result.failed).toEqual([
      { seq: 4, stack: "primary", reason: "InternalError: boom", attempts: 3 },
    ]);
    expect(result.delivered).toHaveLength(9);
    expect(formatLoadTestSummary(result, sender.batchSize)).toContain(
      "failed: seq 4 (entry m4) on primary after 3 attempts: InternalError: boom",
    );
  });

  it("does not re-send entries refused as the sender's fault", async () => {
    snsMock.on(PublishBatchCommand).callsFake((input) => ({
      Successful: entries(input)
        .filter((e) => e.Id !== "m2")
        .map((e) => ({ Id: e.Id, MessageId: "x" })),
      Failed: [{ Id: "m2", Code: "InvalidParameter", Message: "bad", SenderFault: true }],
    }));
    const result = await loadTest(setUp({ messages: 5 }).options);
    expect(snsMock.commandCalls(PublishBatchCommand)).toHaveLength(1);
    expect(result.failed).toEqual([
      { seq: 2, stack: "primary", reason: "InvalidParameter: bad", attempts: 1 },
    ]);
  });

  it("re-sends the whole batch after the call itself failed", async () => {
    snsMock
      .on(PublishBatchCommand)
      .rejectsOnce(Object.assign(new Error("socket hang up"), { name: "NetworkingError" }))
      .callsFake(allOk);
    const result = await loadTest(setUp({ messages: 10, concurrency: 1 }).options);
    const calls = snsMock.commandCalls(PublishBatchCommand);
    expect(calls).toHaveLength(2);
    expect(calls[1].args[0].input).toEqual(calls[0].args[0].input);
    expect(result.failedCalls).toBe(1);
    expect(result.delivered).toHaveLength(10);
  });

  it("stops at once when there are no credentials", async () => {
    snsMock.on(PublishBatchCommand).rejects(
      Object.assign(new Error("Could not load credentials from any providers"), {
        name: "CredentialsProviderError",
      }),
    );
    await expect(loadTest(setUp({ messages: 100 }).options)).rejects.toThrow(
      "Could not load credentials",
    );
    expect(snsMock.commandCalls(PublishBatchCommand).length).toBeLessThanOrEqual(4);
  });

  it("stops on Ctrl-C and reports what was not sent", async () => {
    const stop = new AbortController();
    snsMock.on(PublishBatchCommand).callsFake((input) => {
      stop.abort(); // Ctrl-C while the first call is in flight
      return allOk(input);
    });
    const result = await loadTest(
      setUp({ messages: 50, concurrency: 1, stop: stop.signal }).options,
    );
    expect(result.interrupted).toBe(true);
    expect(result.delivered).toHaveLength(10);
    expect(result.notSent).toEqual(Array.from({ length: 40 }, (_, i) => i + 11));
  });
});

describe("load-test failover", () => {
  it("moves to the next stack after consecutive failures and delivers every message once", async () => {
    const delivered = new Map<number, string[]>();
    let primaryCalls = 0;
    snsMock.on(PublishBatchCommand).callsFake(async (input: PublishBatchCommandInput) => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      if (input.TopicArn === PRIMARY_TOPIC) {
        primaryCalls += 1;
        // The home region answers the first three calls, then goes dark.
        if (primaryCalls > 3)
          throw Object.assign(new Error("Service Unavailable"), { name: "ServiceUnavailable" });
      }
      for (const entry of entries(input)) {
        const stack = input.TopicArn === PRIMARY_TOPIC ? "primary" : "secondary";
        delivered.set(seqOf(entry), [...(delivered.get(seqOf(entry)) ?? []), stack]);
      }
      return allOk(input);
    });
    const { options, lines } = setUp({
      messages: 200,
      concurrency: 4,
      failover: true,
      threshold: 3,
    });
    const result = await loadTest(options);

    const all = Array.from({ length: 200 }, (_, i) => i + 1);
    expect([...delivered.keys()].sort((a, b) => a - b)).toEqual(all);
    expect([...delivered.values()].every((stacks) => stacks.length === 1)).toBe(true);
    expect(result.delivered.map((d) => d.seq).sort((a, b) => a - b)).toEqual(all);
    const byStack = (stack: string) => [...delivered.values()].filter((s) => s[0] === stack).length;
    expect(byStack("primary")).toBe(30);
    expect(byStack("secondary")).toBe(170);
    expect(result.failed).toEqual([]);
    expect(result.failovers).toBe(1);
    expect(
      snsMock
        .commandCalls(PublishBatchCommand)
        .filter((c) => c.args[0].input.TopicArn === SECONDARY_TOPIC).length,
    ).toBeGreaterThan(0);
    expect(
      lines.some((l) =>
        /failover: primary\/us-east-1 -> secondary\/us-west-2 after 3 consecutive failures \(last: ServiceUnavailable: Service Unavailable\)/.test(
          l,
        ),
      ),
    ).toBe(true);
  });

  it("counts a call that does not answer in time as a failure", async () => {
    snsMock
      .on(PublishBatchCommand)
      .callsFake((input: PublishBatchCommandInput) =>
        input.TopicArn === PRIMARY_TOPIC ? new Promise(() => undefined) : allOk(input),
      );
    const { options, lines } = setUp({
      messages: 20,
      concurrency: 1,
      failover: true,
      threshold: 2,
      timeoutMs: 20,
    });
    const result = await loadTest(options);
    expect(result.delivered.every((d) => d.stack === "secondary")).toBe(true);
    expect(result.delivered).toHaveLength(20);
    expect(lines.join("\n")).toMatch(
      /after 2 consecutive failures \(last: TimeoutError: no answer within 20 ms\)/,
    );
  });
});

describe("load-test pacing and acknowledgements", () => {
  beforeEach(() => jest.useFakeTimers({ now: 2_000_000 }));
  afterEach(() => jest.useRealTimers());

  it("spreads batches over time at --rate and keeps each acknowledgement's message id", async () => {
    const started: number[] = [];
    snsMock.on(PublishBatchCommand).callsFake((input: PublishBatchCommandInput) => {
      started.push(Date.now());
      return allOk(input);
    });
    // 30 messages at 10/s: batches of 10 start at 0 s, 1 s and 2 s.
    const { options } = setUp({ messages: 30, concurrency: 3, ratePerSecond: 10 });
    const result = await drive(loadTest(options));
    expect(started.map((t) => Math.round((t - 2_000_000) / 100) * 100)).toEqual([0, 1000, 2000]);
    expect(result.delivered).toHaveLength(30);
    expect(result.delivered[0]).toMatchObject({ seq: 1, stack: "primary", messageId: "msg-m1" });
    expect(result.delivered.every((a) => typeof a.at === "number")).toBe(true);
    // ... and the idempotency key the message was sent with, which a raw delivery carries.
    const sentKeys = new Map(
      snsMock
        .commandCalls(PublishBatchCommand)
        .flatMap((call) => entries(call.args[0].input))
        .map((entry) => [entry.Id, entry.MessageAttributes?.idempotency_key?.StringValue]),
    );
    for (const a of result.delivered) {
      expect(a.idempotencyKey).toMatch(/^[0-9a-f-]{36}$/);
      expect(sentKeys.get(`m${a.seq}`)).toBe(a.idempotencyKey);
    }
  });
});

describe("load-test give-ups", () => {
  it("names each target's own last reason when it gives up there", async () => {
    snsMock.on(PublishBatchCommand).callsFake((input: PublishBatchCommandInput) => {
      const name = input.TopicArn === PRIMARY_TOPIC ? "ServiceUnavailable" : "InternalError";
      throw Object.assign(new Error(`${name} here`), { name });
    });
    const { options } = setUp({
      messages: 10,
      concurrency: 1,
      failover: true,
      threshold: 1,
      maxAttempts: 1,
    });
    const result = await loadTest(options);
    expect(result.failed).toHaveLength(10);
    const reasons = new Set(result.failed.map((f) => `${f.stack}: ${f.reason}`));
    // Primary failed, secondary failed, and back on primary the attempts ran out: the give-up
    // names what primary said, not secondary's last word.
    expect([...reasons]).toEqual(["primary: ServiceUnavailable: ServiceUnavailable here"]);
  });

  it("stops the run at once on an error no retry can fix", async () => {
    snsMock.on(PublishBatchCommand).callsFake(() => {
      throw Object.assign(new Error("Topic does not exist"), { name: "NotFoundException" });
    });
    const { options } = setUp({ messages: 50, concurrency: 2 });
    await expect(loadTest(options)).rejects.toThrow(
      "primary/us-east-1 refused a call: NotFoundException: Topic does not exist; stopping, since sending again cannot succeed",
    );
    expect(snsMock.commandCalls(PublishBatchCommand).length).toBeLessThanOrEqual(2);
  });
});
