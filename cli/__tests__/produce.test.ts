import { PublishCommand, SNSClient, type PublishCommandInput } from "@aws-sdk/client-sns";
import { mockClient } from "aws-sdk-client-mock";
import { FailoverController } from "../failover-controller";
import { formatProduceSummary, produce, type ProduceOptions } from "../produce";
import { PRODUCE_MAX_ATTEMPTS } from "../commands/produce";
import { IDEMPOTENCY_ATTRIBUTE } from "../../lambdas/shared/idempotency-key";
import { drive, fakeHttp, sendingRig, type RigOptions } from "./helpers";

const snsMock = mockClient(SNSClient);
const PRIMARY_TOPIC = "arn:aws:sns:us-east-1:123456789012:fanout-primary-topic";
const unavailable = () =>
  Object.assign(new Error("Service Unavailable"), { name: "ServiceUnavailable" });

beforeEach(() => {
  snsMock.reset();
  jest.useFakeTimers({ now: new Date("2025-06-01T12:00:00Z") });
});
afterEach(() => jest.useRealTimers());

function setUp(overrides: Partial<ProduceOptions> & RigOptions = {}) {
  const { controller, sender, lines, print } = sendingRig(overrides, false);
  const options: ProduceOptions = {
    controller,
    sender,
    producer: "laptop-1",
    intervalMs: 1000,
    timeoutMs: 2000,
    print,
    stop: new AbortController().signal,
    ...overrides,
    maxAttempts: overrides.maxAttempts ?? PRODUCE_MAX_ATTEMPTS,
  };
  return { options, lines };
}

/** Every Publish call: topic, payload, and whether it succeeded. */
function publishLog() {
  const log: {
    topic: string;
    body: { seq: number; recorded_at: number };
    raw: string;
    ok: boolean;
  }[] = [];
  const record = (input: PublishCommandInput, ok: boolean) =>
    log.push({ topic: input.TopicArn!, body: JSON.parse(input.Message!), raw: input.Message!, ok });
  return { log, record };
}

describe("produce", () => {
  it("sends one message per interval with seq, recorded_at and producer, and prints each", async () => {
    snsMock
      .on(PublishCommand)
      .callsFake((input) => ({ MessageId: `id-${JSON.parse(input.Message).seq}` }));
    const { options, lines } = setUp({ count: 5 });
    const result = await drive(produce(options));

    const calls = snsMock.commandCalls(PublishCommand).map((c) => c.args[0].input);
    expect(calls).toHaveLength(5);
    expect(calls.every((c) => c.TopicArn === PRIMARY_TOPIC)).toBe(true);
    const bodies = calls.map((c) => JSON.parse(c.Message!));
    const start = Date.parse("2025-06-01T12:00:00Z");
    expect(bodies).toEqual(
      [1, 2, 3, 4, 5].map((seq) => ({
        recorded_at: start + (seq - 1) * 1000,
        seq,
        producer: "laptop-1",
      })),
    );
    expect(lines[0]).toMatch(/^seq 1 {2}primary\/us-east-1 {2}id id-1 {2}\d+ ms$/);
    expect(result.delivered).toHaveLength(5);
    expect(result.elapsedMs).toBe(4000);
    const summary = formatProduceSummary(result);
    expect(summary).toContain("messages: 5 created, 5 delivered, 0 rejected, 0 not delivered");
    expect(summary).toContain("delivered by stack: primary 5");
  });

  it("stops creating messages after --duration", async () => {
    snsMock.on(PublishCommand).resolves({ MessageId: "x" });
    const { options } = setUp({ durationMs: 3000, intervalMs: 500 });
    const result = await drive(produce(options));
    expect(result.created).toBe(6);
    expect(result.elapsedMs).toBe(3000);
  });

  it("stops on Ctrl-C and prints a summary", async () => {
    const stop = new AbortController();
    snsMock.on(PublishCommand).callsFake((input) => {
      if (JSON.parse(input.Message).seq === 3) stop.abort();
      return { MessageId: "x" };
    });
    const { options } = setUp({ stop: stop.signal });
    const result = await drive(produce(options));
    expect(result.interrupted).toBe(true);
    expect(result.created).toBe(3);
    expect(formatProduceSummary(result)[0]).toMatch(/^--- produce stopped after/);
  });

  it("keeps failed messages and reports them when the run ends undelivered", async () => {
    snsMock.on(PublishCommand).callsFake((input) => {
      if (JSON.parse(input.Message).seq >= 2) throw unavailable();
      return { MessageId: "x" };
    });
    const { options, lines } = setUp({ durationMs: 3000 });
    const result = await drive(produce(options));
    expect(result.delivered.map((d) => d.seq)).toEqual([1]);
    expect(result.undelivered.map((m) => m.seq)).toEqual([2, 3]);
    expect(lines).toContain(
      "seq 2  primary/us-east-1  FAILED after 0 ms: ServiceUnavailable: Service Unavailable",
    );
    expect(formatProduceSummary(result)).toContain("not delivered: seq 2-3");
  });

  it("reports a message the API refuses (4xx) without re-sending it", async () => {
    const http = fakeHttp((request) =>
      JSON.parse(request.body!).seq === 2
        ? { status: 400, body: '{"message":"body too large"}' }
        : { status: 202, body: '{"messageId":"m","recorded_at":1,"region":"us-east-1"}' },
    );
    const { options, lines } = setUp({ via: "api", http: http.client, count: 3 });
    const result = await drive(produce(options));
    expect(http.requests).toHaveLength(3);
    expect(result.rejected).toEqual([{ seq: 2, reason: "HTTP 400: body too large" }]);
    expect(lines).toContain("seq 2  primary/us-east-1  REJECTED: HTTP 400: body too large");
  });
});

describe("produce stops on errors no retry can fix", () => {
  it("stops with one line on an authorization error instead of retrying it forever", async () => {
    let calls = 0;
    snsMock.on(PublishCommand).callsFake(() => {
      calls += 1;
      throw Object.assign(new Error("User is not authorized to perform: SNS:Publish"), {
        name: "AuthorizationErrorException",
      });
    });
    const { options } = setUp({ count: 5 });
    await expect(drive(produce(options))).rejects.toThrow(
      "primary/us-east-1 refused seq 1: AuthorizationErrorException: User is not authorized to perform: SNS:Publish; stopping, since sending again cannot succeed",
    );
    expect(calls).toBe(1);
  });

  it("gives a message up after --max-attempts failed sends, with the reason, and goes on", async () => {
    snsMock.on(PublishCommand).callsFake((input) => {
      if (JSON.parse(input.Message).seq === 1) throw unavailable();
      return { MessageId: "ok" };
    });
    const { options, lines } = setUp({ count: 2, maxAttempts: 3 });
    const result = await drive(produce(options));
    const sendsOfSeq1 = snsMock
      .commandCalls(PublishCommand)
      .filter((c) => JSON.parse(c.args[0].input.Message!).seq === 1);
    expect(sendsOfSeq1).toHaveLength(3);
    expect(result.givenUp).toEqual([
      { seq: 1, attempts: 3, reason: "ServiceUnavailable: Service Unavailable" },
    ]);
    expect(result.delivered.map((d) => d.seq)).toEqual([2]);
    expect(result.undelivered).toEqual([]);
    expect(lines).toContain(
      "seq 1  GIVEN UP after 3 attempts: ServiceUnavailable: Service Unavailable",
    );
    const summary = formatProduceSummary(result);
    expect(summary).toContain(
      "messages: 2 created, 1 delivered, 0 rejected, 1 given up, 0 not delivered",
    );
    expect(summary).toContain(
      "given up: seq 1 after 3 attempts: ServiceUnavailable: Service Unavailable",
    );
  });

  it("keeps retrying throttling", async () => {
    let calls = 0;
    snsMock.on(PublishCommand).callsFake(() => {
      calls += 1;
      if (calls < 3)
        throw Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" });
      return { MessageId: "ok" };
    });
    const { options } = setUp({ count: 1 });
    const result = await drive(produce(options));
    expect(result.delivered.map((d) => d.seq)).toEqual([1]);
    expect(calls).toBe(3);
  });
});

describe("produce failover", () => {
  it("switches after 3 consecutive failures and re-sends the failed messages unchanged", async () => {
    const { log, record } = publishLog();
    let primaryDown = false;
    snsMock.on(PublishCommand).callsFake((input: PublishCommandInput) => {
      if (JSON.parse(input.Message!).seq === 3) primaryDown = true;
      const ok = input.TopicArn !== PRIMARY_TOPIC || !primaryDown;
      record(input, ok);
      if (!ok) throw unavailable();
      return { MessageId: "x" };
    });
    const { options, lines } = setUp({ failover: true, count: 8 });
    const result = await drive(produce(options));

    const delivered = log.filter((c) => c.ok);
    const seqs = delivered.map((c) => c.body.seq).sort((a, b) => a - b);
    expect(seqs).toEqual([1, 2, 3, 4, 5, 6, 7, 8]); // each exactly once overall
    expect(delivered.filter((c) => c.topic === PRIMARY_TOPIC).map((c) => c.body.seq)).toEqual([
      1, 2,
    ]);
    // seq 3 failed three times on primary (ticks 3, 4, 5), then went to secondary as it was.
    const attempts = log.filter((c) => c.body.seq === 3);
    expect(
      attempts.map((c) => [c.topic === PRIMARY_TOPIC ? "primary" : "secondary", c.ok]),
    ).toEqual([
      ["primary", false],
      ["primary", false],
      ["primary", false],
      ["secondary", true],
    ]);
    expect(new Set(attempts.map((c) => c.raw)).size).toBe(1);
    expect(lines).toContain(
      "2025-06-01T12:00:04.000Z failover: primary/us-east-1 -> secondary/us-west-2 after 3 consecutive failures (last: ServiceUnavailable: Service Unavailable)",
    );
    expect(lines).toContain("seq 3  secondary/us-west-2  id x  0 ms (resent, attempt 4)");
    expect(result.failovers).toBe(1);
    expect(result.undelivered).toEqual([]);
  });

  it("tries each stack once per tick when every stack is down", async () => {
    snsMock.on(PublishCommand).rejects(unavailable());
    const { options } = setUp({ failover: true, durationMs: 3000 });
    const controller = new FailoverController(options.controller.targets, 1, () => undefined);
    const result = await drive(produce({ ...options, controller }));
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(6); // 3 ticks x 2 stacks
    expect(result.undelivered.map((m) => m.seq)).toEqual([1, 2, 3]);
  });

  it("counts a send that times out as a failure", async () => {
    snsMock
      .on(PublishCommand)
      .callsFake((input: PublishCommandInput) =>
        input.TopicArn === PRIMARY_TOPIC ? new Promise(() => undefined) : { MessageId: "x" },
      );
    const { options, lines } = setUp({ failover: true, count: 3, timeoutMs: 300 });
    const result = await drive(produce(options));
    expect(lines.filter((l) => l.includes("FAILED after 300 ms: TimeoutError"))).toHaveLength(3);
    expect(result.delivered.map((d) => [d.seq, d.stack])).toEqual([
      [1, "secondary"],
      [2, "secondary"],
      [3, "secondary"],
    ]);
  });

  it("fails back to the first stack once its health check answers 200", async () => {
    const { log, record } = publishLog();
    let primaryDown = true; // down from the start: failover at 12:00:02, checks at :07 and :12
    snsMock.on(PublishCommand).callsFake((input: PublishCommandInput) => {
      const ok = input.TopicArn !== PRIMARY_TOPIC || !primaryDown;
      record(input, ok);
      if (!ok) throw unavailable();
      return { MessageId: "x" };
    });
    let checks = 0;
    const health = fakeHttp(() => {
      checks += 1;
      if (checks === 2) primaryDown = false; // the region recovers before the second check
      return checks >= 2
        ? { status: 200, body: '{"service":"fanout","stack":"primary","region":"us-east-1"}' }
        : { status: 503, body: "unavailable" };
    });
    const { options, lines } = setUp({
      failover: true,
      count: 20,
      failBack: { http: health.client, intervalMs: 5000, timeoutMs: 1000 },
    });
    const result = await drive(produce(options));

    expect(health.requests[0]).toMatchObject({
      method: "GET",
      url: "https://abcprimary.execute-api.us-east-1.amazonaws.com/prod/health",
    });
    const failBack = lines.find((l) => l.includes("fail-back"));
    expect(failBack).toBe(
      "2025-06-01T12:00:12.000Z fail-back: primary/us-east-1 is healthy again (its health check answered 200); leaving secondary/us-west-2",
    );
    const stackOf = (seq: number) => result.delivered.find((d) => d.seq === seq)?.stack;
    expect(stackOf(3)).toBe("secondary");
    expect(stackOf(12)).toBe("secondary");
    expect(stackOf(13)).toBe("primary");
    expect(stackOf(20)).toBe("primary");
    const delivered = log
      .filter((c) => c.ok)
      .map((c) => c.body.seq)
      .sort((a, b) => a - b);
    expect(delivered).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(result.failBacks).toBe(1);
  });
});

describe("produce idempotency keys", () => {
  it("gives each message a UUID key as a message attribute, the same on every resend", async () => {
    let calls = 0;
    snsMock.on(PublishCommand).callsFake(() => {
      calls += 1;
      if (calls === 1) throw unavailable();
      return { MessageId: `m${calls}` };
    });
    const { options } = setUp({ count: 2 });
    await drive(produce(options));
    const keys = snsMock
      .commandCalls(PublishCommand)
      .map((c) => c.args[0].input.MessageAttributes?.[IDEMPOTENCY_ATTRIBUTE]?.StringValue);
    expect(keys).toHaveLength(3);
    expect(keys[0]).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(keys[1]).toBe(keys[0]); // seq 1 resent
    expect(keys[2]).not.toBe(keys[0]); // seq 2
  });
});
