import { CloudWatchClient, GetMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { PublishBatchCommand, PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { mockClient } from "aws-sdk-client-mock";
import { version as packageVersion } from "../../package.json";
import { runCli } from "../program";
import { cliDeps, fakeHttp } from "./helpers";

const snsMock = mockClient(SNSClient);
const sqsMock = mockClient(SQSClient);
const cwMock = mockClient(CloudWatchClient);
beforeEach(() => {
  snsMock.reset();
  sqsMock.reset();
  cwMock.reset();
});

async function run(argv: string[], overrides: Parameters<typeof cliDeps>[0] = {}) {
  const deps = cliDeps(overrides);
  const code = await runCli(argv, deps);
  return { code, stdout: deps.stdout.text, stderr: deps.stderr.lines() };
}

describe("usage errors: one line on stderr, exit 2", () => {
  it.each([
    [["produce", "--bogus"], "error: unknown option '--bogus'"],
    [["prodce"], "error: unknown command 'prodce' (did you mean produce?)"],
    [
      ["produce", "--interval", "soon"],
      "error: option '--interval <duration>' argument 'soon' is invalid. expected a duration such as 500ms, 30s, 5m or 1h.",
    ],
    [
      ["load-test", "--messages", "0"],
      "error: option '--messages <n>' argument '0' is invalid. expected a whole number of at least 1.",
    ],
    [
      ["produce", "--via", "smtp"],
      "error: option '--via <path>' argument 'smtp' is invalid. Allowed choices are sns, api, sqs.",
    ],
    [["redrive"], "error: required option '--queue <active|region>' not specified"],
    [
      ["status", "extra"],
      "error: too many arguments for 'status'. Expected 0 arguments but got 1.",
    ],
    [
      ["status", "--outputs", "missing.json"],
      "error: outputs file missing.json not found; write it with: npx cdktf deploy --outputs-file missing.json <stacks...>, or pass --outputs <file>",
    ],
    [
      ["produce", "--stack", "tertiary"],
      'error: unknown stack "tertiary" (outputs file outputs.json has: primary, secondary)',
    ],
    [
      ["produce", "--stacks", "primary,nope"],
      'error: unknown stack "nope" (outputs file outputs.json has: primary, secondary)',
    ],
    [
      ["produce", "--stacks", "primary", "--stack", "secondary"],
      "error: --stack secondary is not among --stacks primary",
    ],
    [["produce", "--fail-back"], "error: --fail-back needs --failover"],
    [
      ["produce", "--failover", "--stacks", "primary"],
      "error: --failover needs at least two stacks",
    ],
    [
      ["redrive", "--queue", "eu-west-1"],
      'error: stack "primary" has no queue "eu-west-1" (use one of: active, us-east-1, us-west-2)',
    ],
  ])("%j", async (argv, message) => {
    const { code, stdout, stderr } = await run(argv);
    expect(stderr).toEqual([message]);
    expect(stdout).toBe("");
    expect(code).toBe(2);
  });

  it("rejects a malformed outputs file", async () => {
    const { code, stderr } = await run(["status"], { outputs: "{ not json" });
    expect(stderr).toHaveLength(1);
    expect(stderr[0]).toMatch(/^error: outputs file outputs.json: not valid JSON \(/);
    expect(code).toBe(2);
  });

  it("rejects an outputs file that lacks what the command needs", async () => {
    const { code, stderr } = await run(["produce", "--via", "api"], {
      outputs: { primary: { region: "us-east-1", topic_arn: "arn:aws:sns:us-east-1:1:t" } },
    });
    expect(stderr).toEqual([
      'error: outputs file outputs.json: stack "primary" lacks "messages_url"',
    ]);
    expect(code).toBe(2);
  });

  it("shows the help on stderr when no command is given", async () => {
    const { code, stderr } = await run([]);
    expect(stderr[0]).toBe("Usage: fanout [options] [command]");
    expect(code).toBe(2);
  });
});

describe("help", () => {
  it.each(["produce", "load-test", "latency", "redrive", "status"])("%s --help", async (name) => {
    const { code, stdout, stderr } = await run([name, "--help"]);
    expect(stdout).toContain(`Usage: fanout ${name} [options]`);
    expect(stdout).toContain("--outputs <file>");
    expect(stderr).toEqual([]);
    expect(code).toBe(0);
  });

  it.each([["--version"], ["-V"]])("%s prints the version from package.json", async (flag) => {
    const { code, stdout, stderr } = await run([flag]);
    expect(stdout).toBe(`${packageVersion}\n`);
    expect(stderr).toEqual([]);
    expect(code).toBe(0);
  });

  it("lists the commands and the exit codes", async () => {
    const { code, stdout } = await run(["--help"]);
    expect(stdout).toMatch(
      /produce \[options\][\s\S]*load-test[\s\S]*latency[\s\S]*redrive[\s\S]*status/,
    );
    expect(stdout).toContain(
      "Exit codes: 0 ok, 1 failure at run time, 2 bad command line or input file",
    );
    expect(code).toBe(0);
  });
});

describe("run-time errors: one line on stderr, exit 1", () => {
  it("says so when there are no AWS credentials", async () => {
    snsMock.on(PublishCommand).rejects(
      Object.assign(new Error("Could not load credentials from any providers"), {
        name: "CredentialsProviderError",
      }),
    );
    const { code, stderr } = await run(["produce", "--count", "1"]);
    expect(stderr).toEqual([
      "error: no AWS credentials found (Could not load credentials from any providers); configure a profile, SSO or environment credentials",
    ]);
    expect(code).toBe(1);
  });
});

describe("commands end to end (mocked AWS)", () => {
  it("produce sends --count messages and prints a line each and a summary", async () => {
    snsMock.on(PublishCommand).resolves({ MessageId: "abc" });
    const { code, stdout } = await run(["produce", "--count", "3", "--interval", "5ms"]);
    const lines = stdout.split("\n");
    expect(lines[0]).toBe("producing via sns to primary/us-east-1, one message every 5 ms");
    expect(
      lines.filter((l) => /^seq \d {2}primary\/us-east-1 {2}id abc {2}\d+ ms$/.test(l)),
    ).toHaveLength(3);
    expect(stdout).toContain("messages: 3 created, 3 delivered, 0 rejected, 0 not delivered");
    const producers = snsMock
      .commandCalls(PublishCommand)
      .map((c) => JSON.parse(c.args[0].input.Message!).producer);
    expect(producers).toEqual(["test-producer", "test-producer", "test-producer"]);
    expect(code).toBe(0);
  });

  it("produce --failover starts with the first of --stacks", async () => {
    snsMock.on(PublishCommand).resolves({ MessageId: "abc" });
    const { code, stdout } = await run([
      "produce",
      "--failover",
      "--stacks",
      "secondary,primary",
      "--count",
      "1",
    ]);
    expect(stdout).toContain("producing via sns to secondary/us-west-2 then primary/us-east-1");
    expect(snsMock.commandCalls(PublishCommand)[0].args[0].input.TopicArn).toBe(
      "arn:aws:sns:us-west-2:123456789012:fanout-secondary-topic",
    );
    expect(code).toBe(0);
  });

  it("produce stops on Ctrl-C and exits 0 when everything sent was delivered", async () => {
    let interrupt = (): void => undefined;
    snsMock.on(PublishCommand).callsFake((input) => {
      if (JSON.parse(input.Message).seq === 2) interrupt();
      return { MessageId: "abc" };
    });
    const { code, stdout, stderr } = await run(["produce", "--interval", "5ms"], {
      onInterrupt: (handler) => {
        interrupt = handler;
        return () => undefined;
      },
    });
    expect(stderr).toEqual(["stopping (Ctrl-C again to quit at once)"]);
    expect(stdout).toContain("--- produce stopped after");
    expect(stdout).toContain("messages: 2 created, 2 delivered");
    expect(code).toBe(0);
  });

  it("load-test prints plain progress lines when stdout is not a terminal, then a summary", async () => {
    snsMock.on(PublishBatchCommand).callsFake((input) => ({
      Successful: input.PublishBatchRequestEntries.map((e: { Id: string }) => ({
        Id: e.Id,
        MessageId: e.Id,
      })),
    }));
    const { code, stdout } = await run(["load-test", "--messages", "25"]);
    expect(snsMock.commandCalls(PublishBatchCommand)).toHaveLength(3);
    expect(stdout).toContain(
      "load test: 25 messages via sns to primary/us-east-1, batches of 10, concurrency 10",
    );
    expect(stdout).toContain("progress: 25/25 (100%), 0 failed");
    expect(stdout).toMatch(/sent 25 of 25, failed 0, [\d.]+ messages\/s/);
    expect(stdout).toMatch(
      /publish latency per call of up to 10: p50 [\d.]+ ms, p90 [\d.]+ ms, p99 [\d.]+ ms/,
    );
    expect(code).toBe(0);
  });

  it("produce exits 1 when it gave a message up after --max-attempts", async () => {
    snsMock
      .on(PublishCommand)
      .rejects(Object.assign(new Error("Service Unavailable"), { name: "ServiceUnavailable" }));
    const argv = ["produce", "--count", "1", "--interval", "5ms", "--max-attempts", "2"];
    const { code, stdout } = await run(argv);
    expect(stdout).toContain(
      "seq 1  GIVEN UP after 2 attempts: ServiceUnavailable: Service Unavailable",
    );
    expect(code).toBe(1);
  });

  it("produce refuses a --max-attempts below 1", async () => {
    const { code, stderr } = await run(["produce", "--max-attempts", "0"]);
    expect(stderr).toEqual([
      "error: option '--max-attempts <n>' argument '0' is invalid. expected a whole number of at least 1.",
    ]);
    expect(code).toBe(2);
  });

  it("load-test exits 1 when messages could not be delivered", async () => {
    snsMock.on(PublishBatchCommand).callsFake((input) => ({
      Failed: input.PublishBatchRequestEntries.map((e: { Id: string }) => ({
        Id: e.Id,
        Code: "InvalidParameter",
        SenderFault: true,
      })),
    }));
    const { code, stdout } = await run(["load-test", "--messages", "2"]);
    expect(stdout).toContain(
      "failed: seq 1 (entry m1) on primary after 1 attempt: InvalidParameter",
    );
    expect(code).toBe(1);
  });

  it("latency prints the table", async () => {
    cwMock.on(GetMetricDataCommand).resolves({
      MetricDataResults: [{ Id: "l5_p50", Values: [250] }],
    });
    const { code, stdout } = await run(["latency", "--since", "5m"]);
    expect(stdout).toContain("latency of stack primary (service fanout-primary), last 5m, in ms");
    expect(stdout).toMatch(/active us-east-1 +EndToEndLatency +250 +- +-/);
    expect(stdout).toMatch(/replica us-west-2 +0\.0 +- +-/);
    expect(code).toBe(0);
  });

  it("status exits 1 when a health check fails", async () => {
    sqsMock.on(GetQueueAttributesCommand).resolves({ Attributes: {} });
    const http = fakeHttp((request) =>
      request.url.includes("abcprimary") ? { status: 200, body: "{}" } : { status: 503, body: "" },
    );
    const { code, stdout } = await run(["status"], { http: http.client });
    expect(stdout).toMatch(/secondary +us-west-2 +FAILING +503/);
    expect(code).toBe(1);
  });
});
