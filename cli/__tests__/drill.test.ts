import {
  accountFor,
  defaultSettleTimeoutMs,
  drill,
  drillPassed,
  formatDrillReport,
  lostCount,
  unitQueues,
  type Delivery,
  type DrillEnvironment,
} from "../drill";
import type { AcknowledgedMessage, LoadTestResult } from "../load-test";
import { runCli } from "../program";
import { ACCOUNT, cliDeps, drive, outputsFile, twoStackOutputs } from "./helpers";

const arn = (region: string, name: string) => `arn:aws:sqs:${region}:${ACCOUNT}:${name}`;
const PRIMARY_ACTIVE = arn("us-east-1", "fanout-primary-active");
const PRIMARY_REPLICA = arn("us-west-2", "fanout-primary-replica-us-west-2");
const SECONDARY_ACTIVE = arn("us-west-2", "fanout-secondary-active");
const SECONDARY_REPLICA = arn("us-east-1", "fanout-secondary-replica-us-east-1");

const file = outputsFile();
const stacks = file.ordered();
const queues = unitQueues(stacks);

/** An acknowledgement; its idempotency key is `key-<messageId>` unless given. */
const ack = (
  stack: string,
  messageId: string,
  at = 0,
  idempotencyKey = `key-${messageId}`,
): AcknowledgedMessage => ({ seq: 0, stack, messageId, idempotencyKey, at });
/** A processed delivery of the message with `keys` in queue `queueArn`. */
const deliveredWith = (
  queueArn: string,
  keys: Pick<Delivery, "snsMessageId" | "idempotencyKey">,
  at = 0,
): Delivery => ({ at, queueArn, ...keys, outcome: "processed" });
/** A delivery in an SNS envelope (the journal also has its idempotency key, unused here). */
const processed = (queueArn: string, snsMessageId: string, at = 0) =>
  deliveredWith(queueArn, { snsMessageId }, at);

/** A delivery without an SNS envelope (raw message delivery): it has only the idempotency key. */
const rawProcessed = (queueArn: string, idempotencyKey: string) =>
  deliveredWith(queueArn, { idempotencyKey });

describe("unitQueues", () => {
  it("lists the active queue and each replica of every stack, by ARN and region", () => {
    expect(queues).toEqual([
      { stack: "primary", role: "active", region: "us-east-1", arn: PRIMARY_ACTIVE },
      { stack: "primary", role: "replica", region: "us-west-2", arn: PRIMARY_REPLICA },
      { stack: "secondary", role: "active", region: "us-west-2", arn: SECONDARY_ACTIVE },
      { stack: "secondary", role: "replica", region: "us-east-1", arn: SECONDARY_REPLICA },
    ]);
  });
});

describe("accountFor", () => {
  // In an SNS envelope a delivery is matched by message id; raw, by the idempotency key.
  it.each([
    ["in an SNS envelope", processed],
    ["raw", (queueArn: string, id: string) => rawProcessed(queueArn, `key-${id}`)],
  ])(
    "counts a message processed once in every queue of its unit as delivered, not lost (%s)",
    (_form, deliver) => {
      const account = accountFor(
        [ack("primary", "a"), ack("secondary", "b")],
        [
          deliver(PRIMARY_ACTIVE, "a"),
          deliver(PRIMARY_REPLICA, "a"),
          deliver(SECONDARY_ACTIVE, "b"),
          deliver(SECONDARY_REPLICA, "b"),
        ],
        queues,
        "us-east-1",
      );
      expect(account).toMatchObject({
        acknowledged: 2,
        byStack: { primary: 1, secondary: 1 },
        deliveredActive: 2,
        deliveredReplica: { "us-west-2": 1, "us-east-1": 1 },
        duplicates: 0,
        lostInFailure: [],
        missingAfterRecovery: [],
        untracked: 0,
      });
      expect(lostCount(account)).toBe(0);
    },
  );

  it("counts a second processing in the same queue as a duplicate", () => {
    const account = accountFor(
      [ack("primary", "a")],
      [
        processed(PRIMARY_ACTIVE, "a"),
        processed(PRIMARY_ACTIVE, "a"),
        processed(PRIMARY_REPLICA, "a"),
      ],
      queues,
      "us-east-1",
    );
    expect(account.duplicates).toBe(1);
    expect(account.deliveredActive).toBe(1);
  });

  it("calls a message lost when only the failed region processed it", () => {
    const account = accountFor(
      [ack("primary", "a")],
      [processed(PRIMARY_ACTIVE, "a")],
      queues,
      "us-east-1",
    );
    expect(account.lostInFailure).toEqual(["a"]);
    expect(account.missingAfterRecovery).toEqual(["a"]);
    expect(lostCount(account)).toBe(1);
  });

  it("calls a message missing when a queue of its unit never delivered it", () => {
    const account = accountFor(
      [ack("secondary", "b")],
      [processed(SECONDARY_ACTIVE, "b")],
      queues,
      "us-east-1",
    );
    expect(account.lostInFailure).toEqual([]);
    expect(account.missingAfterRecovery).toEqual(["b"]);
  });

  it("ignores failed processings and another stack's queues", () => {
    const account = accountFor(
      [ack("primary", "a")],
      [{ ...processed(PRIMARY_REPLICA, "a"), outcome: "failed" }, processed(SECONDARY_ACTIVE, "a")],
      queues,
      "us-east-1",
    );
    expect(account.lostInFailure).toEqual(["a"]);
  });

  it("counts acknowledgements without a message id nor an idempotency key as untracked", () => {
    expect(accountFor([ack("primary", "", 0, "")], [], queues, "us-east-1").untracked).toBe(1);
    const keyOnly = accountFor([ack("primary", "", 0, "k")], [], queues, "us-east-1");
    expect(keyOnly).toMatchObject({ untracked: 0, missingAfterRecovery: ["k"] });
  });
});

describe("accountFor with raw message delivery", () => {
  it("still finds a raw message lost or missing, and counts a raw duplicate", () => {
    const lost = accountFor(
      [ack("primary", "a")],
      [rawProcessed(PRIMARY_ACTIVE, "key-a"), rawProcessed(PRIMARY_ACTIVE, "key-a")],
      queues,
      "us-east-1",
    );
    expect(lost).toMatchObject({
      lostInFailure: ["a"],
      missingAfterRecovery: ["a"],
      duplicates: 1,
    });
    // Another message's key is not this one's.
    const other = accountFor(
      [ack("primary", "a")],
      [rawProcessed(PRIMARY_ACTIVE, "key-a"), rawProcessed(PRIMARY_REPLICA, "key-z")],
      queues,
      "us-east-1",
    );
    expect(other.lostInFailure).toEqual(["a"]);
  });

  it("does not match an enveloped delivery by its idempotency key, nor count one twice", () => {
    // An envelope names its publication: a copy published again (another SNS message id) is not
    // the acknowledged one, even with the same key.
    const account = accountFor(
      [ack("primary", "a")],
      [
        { ...processed(PRIMARY_ACTIVE, "a"), idempotencyKey: "key-a" },
        { ...processed(PRIMARY_REPLICA, "a-again"), idempotencyKey: "key-a" },
      ],
      queues,
      "us-east-1",
    );
    expect(account).toMatchObject({ duplicates: 0, lostInFailure: ["a"] });
    expect(account.missingAfterRecovery).toEqual(["a"]);
  });

  it("lets a drill against a raw-delivery deployment pass with nothing lost", async () => {
    jest.useFakeTimers({ now: 1_000_000 });
    try {
      const result = await quietDrill(
        [ack("primary", "a", 999_000), ack("secondary", "b", 999_000)],
        [
          rawProcessed(PRIMARY_ACTIVE, "key-a"),
          rawProcessed(PRIMARY_REPLICA, "key-a"),
          rawProcessed(SECONDARY_ACTIVE, "key-b"),
          rawProcessed(SECONDARY_REPLICA, "key-b"),
        ],
      );
      expect(result.account && lostCount(result.account)).toBe(0);
      expect(drillPassed(result)).toBe(true);
      expect(formatDrillReport(result).join("\n")).toContain("duplicates 0, lost 0");
    } finally {
      jest.useRealTimers();
    }
  });
});

function loadResult(
  delivered: AcknowledgedMessage[],
  extra: Partial<LoadTestResult> = {},
): LoadTestResult {
  return {
    requested: delivered.length,
    delivered,
    failed: [],
    notSent: [],
    calls: delivered.length,
    failedCalls: 0,
    resent: 0,
    latencies: [],
    elapsedMs: 1000,
    failovers: 1,
    failBacks: 1,
    interrupted: false,
    ...extra,
  };
}

/** A drill with no outage to wait for, whose journal answers `deliveries` from the start. */
function quietDrill(
  acks: AcknowledgedMessage[],
  deliveries: Delivery[],
  filteredQueues?: ReadonlySet<string>,
) {
  return drive(
    drill({
      home: file.stack("primary"),
      stacks,
      environment: {
        regionDown: async () => undefined,
        regionUp: async () => undefined,
        deliveries: async () => deliveries,
      },
      runLoad: async () => loadResult(acks),
      downAfterMs: 0,
      downForMs: 0,
      settleTimeoutMs: 60_000,
      filteredQueues,
      print: () => undefined,
      stop: new AbortController().signal,
    }),
  );
}

describe("drill", () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => jest.useRealTimers());

  function environment(deliveries: () => Delivery[]) {
    const calls: string[] = [];
    const env: DrillEnvironment = {
      regionDown: async (r) => void calls.push(`down ${r}`),
      regionUp: async (r) => void calls.push(`up ${r}`),
      deliveries: async () => deliveries(),
    };
    return { env, calls };
  }

  it("takes the home region down and back during the load, then settles and times the switches", async () => {
    const { env, calls } = environment(() => [
      processed(PRIMARY_ACTIVE, "a"),
      processed(PRIMARY_REPLICA, "a"),
      processed(SECONDARY_ACTIVE, "b"),
      processed(SECONDARY_REPLICA, "b"),
      processed(PRIMARY_ACTIVE, "c"),
      processed(PRIMARY_REPLICA, "c"),
    ]);
    const lines: string[] = [];
    const runLoad = async () => {
      await new Promise((r) => setTimeout(r, 10_000));
      // a: before the outage; b: on secondary 1.5 s after the down; c: home again 0.5 s after up.
      return loadResult([
        ack("primary", "a", 1_000_500),
        ack("secondary", "b", 1_003_500),
        ack("primary", "c", 1_007_500),
      ]);
    };
    const result = await drive(
      drill({
        home: file.stack("primary"),
        stacks,
        environment: env,
        runLoad,
        downAfterMs: 2000,
        downForMs: 5000,
        settleTimeoutMs: 10_000,
        print: (l) => lines.push(l),
        stop: new AbortController().signal,
      }),
    );
    expect(calls).toEqual(["down us-east-1", "up us-east-1"]);
    expect(result.window).toEqual({ region: "us-east-1", downAt: 1_002_000, upAt: 1_007_000 });
    expect(result.failoverMs).toBe(1500);
    expect(result.failBackMs).toBe(500);
    expect(result.account && lostCount(result.account)).toBe(0);
    expect(drillPassed(result)).toBe(true);
    const report = formatDrillReport(result).join("\n");
    expect(report).toContain("sent 3, acknowledged 3, failed 0");
    expect(report).toContain("time to fail over 1.5 s, to fail back 500 ms");
    expect(report).toContain("duplicates 0, lost 0");
    expect(report).toMatch(/drill passed$/);
  });

  it("waits for late deliveries, and fails when a message never reaches every queue", async () => {
    let reads = 0;
    const { env } = environment(() => {
      reads += 1;
      return reads < 3
        ? [processed(PRIMARY_REPLICA, "a")]
        : [processed(PRIMARY_REPLICA, "a"), processed(PRIMARY_ACTIVE, "a")];
    });
    const base = {
      home: file.stack("primary"),
      stacks,
      environment: env,
      downAfterMs: 0,
      downForMs: 0,
      print: () => undefined,
      stop: new AbortController().signal,
    };
    const settled = await drive(
      drill({
        ...base,
        runLoad: async () => loadResult([ack("primary", "a", 999_000)]),
        settleTimeoutMs: 10_000,
      }),
    );
    expect(reads).toBe(3);
    expect(drillPassed(settled)).toBe(true);

    reads = -100; // never settles
    const unsettled = await drive(
      drill({
        ...base,
        runLoad: async () => loadResult([ack("primary", "a", 999_000)]),
        settleTimeoutMs: 3000,
      }),
    );
    expect(unsettled.account?.missingAfterRecovery).toEqual(["a"]);
    expect(drillPassed(unsettled)).toBe(false);
    expect(formatDrillReport(unsettled).join("\n")).toContain(
      "missing: a never reached every queue of its unit",
    );
  });

  it("does not pass without a failover and a fail-back", () => {
    const result = {
      load: loadResult([], { failovers: 0, failBacks: 0 }),
      window: { region: "us-east-1", downAt: 0, upAt: 0 },
      settleMs: 0,
    };
    expect(drillPassed(result)).toBe(false);
  });
});

describe("fanout drill", () => {
  it("refuses an outputs file of AWS itself without --allow-real-aws", async () => {
    const deps = cliDeps();
    expect(await runCli(["drill"], deps)).toBe(2);
    expect(deps.stderr.text).toContain('describes no local deployment ("_local")');
    expect(deps.stderr.text).toContain("--allow-real-aws with --down-command and --up-command");
  });

  it("needs both region commands with --allow-real-aws", async () => {
    const deps = cliDeps();
    expect(await runCli(["drill", "--allow-real-aws", "--down-command", "x"], deps)).toBe(2);
    expect(deps.stderr.text).toContain("--allow-real-aws needs --down-command and --up-command");
  });

  it("reads the control URL of a local deployment", () => {
    const local = outputsFile({
      ...twoStackOutputs(),
      _local: { control_url: "http://127.0.0.1:9" },
    });
    expect(local.local?.controlUrl).toBe("http://127.0.0.1:9");
  });
});

describe("defaultSettleTimeoutMs", () => {
  it("is the longest visibility timeout of the units' queues plus a margin", async () => {
    const { mockClient } = await import("aws-sdk-client-mock");
    const { GetQueueAttributesCommand, SQSClient } = await import("@aws-sdk/client-sqs");
    const sqsMock = mockClient(SQSClient);
    sqsMock.on(GetQueueAttributesCommand).callsFake((input: { QueueUrl: string }) => ({
      Attributes: { VisibilityTimeout: input.QueueUrl.includes("replica") ? "180" : "30" },
    }));
    const client = new SQSClient({ region: "us-east-1" });
    try {
      expect(await defaultSettleTimeoutMs(stacks, () => client)).toBe(180_000 + 30_000);
      expect(sqsMock.commandCalls(GetQueueAttributesCommand)).toHaveLength(4);
    } finally {
      sqsMock.restore();
    }
  });
});

describe("filtered queues", () => {
  // The primary unit's active queue filters; its replica gets every message.
  const filtered = unitQueues(stacks, new Set([PRIMARY_ACTIVE]));

  it("are marked, the others not", () => {
    expect(filtered.filter((q) => q.filtered).map((q) => q.arn)).toEqual([PRIMARY_ACTIVE]);
    expect(unitQueues(stacks).some((q) => q.filtered)).toBe(false);
  });

  it("count a message they did not get as filtered out, not missing nor lost", () => {
    const deliveries = [processed(PRIMARY_REPLICA, "a"), processed(PRIMARY_REPLICA, "b")];
    const acks = [ack("primary", "a"), ack("primary", "b")];
    const account = accountFor(acks, deliveries, filtered, "us-east-1");
    expect(account).toMatchObject({
      missingAfterRecovery: [],
      lostInFailure: [],
      filteredOut: { "primary active us-east-1": 2 },
    });
    expect(lostCount(account)).toBe(0);
    // Without the filter, the same deliveries are two messages missing from the active queue.
    expect(lostCount(accountFor(acks, deliveries, queues, "us-east-1"))).toBe(2);
  });

  it("still count a message lost when no unfiltered queue that stayed up got it", () => {
    const account = accountFor([ack("primary", "a")], [], filtered, "us-east-1");
    expect(account.missingAfterRecovery).toEqual(["a"]);
    expect(account.lostInFailure).toEqual(["a"]);
    // The region of the only unfiltered queue failed: nothing was expected in a surviving one.
    expect(accountFor([ack("primary", "a")], [], filtered, "us-west-2").lostInFailure).toEqual([]);
  });

  it("let a drill settle and pass without the filtered-out messages, and say so", async () => {
    jest.useFakeTimers({ now: 1_000_000 });
    try {
      const result = await quietDrill(
        [ack("primary", "a", 999_000)],
        [processed(PRIMARY_REPLICA, "a")],
        new Set([PRIMARY_ACTIVE]),
      );
      expect(result.settleMs).toBeLessThan(1000);
      expect(drillPassed(result)).toBe(true);
      expect(formatDrillReport(result).join("\n")).toContain(
        "filtered out: 1 not for primary active us-east-1 (its subscription's filter policy)",
      );
    } finally {
      jest.useRealTimers();
    }
  });
});
