import * as Sns from "@aws-sdk/client-sns";
import { SendMessageBatchCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { mockClient } from "aws-sdk-client-mock";
import { parsePublishRequest } from "../../lambdas/producer-api/request";
import { serviceOf } from "../latency";
import { messageGroupsFor, parseMessageGroupId } from "../message-groups";
import { runCli } from "../program";
import { createSender, type Target } from "../senders";
import {
  cliDeps,
  fakeHttp,
  outputsFile,
  stackOutputs,
  TEST_CREDENTIALS,
  testClients,
} from "./helpers";

const [snsMock, sqsMock] = [mockClient(Sns.SNSClient), mockClient(SQSClient)];
afterEach(() => [snsMock, sqsMock].forEach((mock) => mock.reset()));

const REGIONS = ["us-east-1", "us-west-2"];

/** Outputs of a stack of a FIFO unit: its topic and queues end in .fifo. */
function fifoStackOutputs(stack: string, home: string) {
  const plain = stackOutputs(stack, home, REGIONS);
  return {
    ...plain,
    topic_arn: `${plain.topic_arn}.fifo`,
    topic_name: `${plain.topic_name}.fifo`,
    active_queue_url: `${plain.active_queue_url}.fifo`,
  };
}

const fifoOutputs = () => ({
  primary: fifoStackOutputs("primary", "us-east-1"),
  secondary: fifoStackOutputs("secondary", "us-west-2"),
});

describe("messageGroupsFor", () => {
  const fifo = outputsFile(fifoOutputs()).ordered();
  const standard = outputsFile().ordered();

  it("answers nothing for standard units, and one group named after the producer for FIFO", () => {
    expect(messageGroupsFor(standard, {}, "p")).toBeUndefined();
    const groups = messageGroupsFor(fifo, {}, "host-42")!;
    expect([1, 2, 3].map((seq) => groups.groupOf({ seq }))).toEqual([
      "host-42",
      "host-42",
      "host-42",
    ]);
  });

  it("puts every message in --message-group-id, or spreads them over --message-groups", () => {
    expect(messageGroupsFor(fifo, { messageGroupId: "orders" }, "p")!.groupOf({ seq: 9 })).toBe(
      "orders",
    );
    const spread = messageGroupsFor(fifo, { messageGroups: 3 }, "p")!;
    expect([0, 1, 2, 3, 4].map((seq) => spread.groupOf({ seq }))).toEqual([
      "p-0",
      "p-1",
      "p-2",
      "p-0",
      "p-1",
    ]);
  });

  it.each([
    [
      () => messageGroupsFor(standard, { messageGroupId: "g" }, "p"),
      /--message-group-id is only for FIFO units/,
    ],
    [
      () => messageGroupsFor(standard, { messageGroups: 2 }, "p"),
      /--message-groups is only for FIFO units/,
    ],
    [
      () => messageGroupsFor([fifo[0], standard[1]], {}, "p"),
      /"primary" \(FIFO\) and "secondary" \(standard\) cannot share a run/,
    ],
    [
      () => messageGroupsFor(fifo, { messageGroupId: "g", messageGroups: 2 }, "p"),
      /exclude each other/,
    ],
    [() => messageGroupsFor(fifo, {}, "my laptop"), /pass --message-group-id/],
  ])("throws a usage error %#", (call, message) => {
    expect(call).toThrow(message);
  });

  it("parses --message-group-id by SNS's rules", () => {
    expect(parseMessageGroupId("orders-1")).toBe("orders-1");
    expect(() => parseMessageGroupId("a b")).toThrow(/letters, digits and ASCII punctuation/);
    expect(() => parseMessageGroupId("x".repeat(129))).toThrow(/longer than 128/);
  });
});

describe("senders to FIFO units", () => {
  const groups = messageGroupsFor(outputsFile(fifoOutputs()).ordered(), { messageGroups: 2 }, "p");
  const message = { recorded_at: 1748779200000, seq: 7, producer: "p", id: "key-7" };
  const target: Target = { stack: "primary", region: "us-east-1", address: "arn:topic.fifo" };
  const credentials = () => TEST_CREDENTIALS;
  const ids = { MessageGroupId: "p-1", MessageDeduplicationId: "key-7" };

  it("give every SNS publish, one by one or batched, the group and the key as deduplication id", async () => {
    snsMock.on(Sns.PublishCommand).resolves({ MessageId: "m" });
    snsMock.on(Sns.PublishBatchCommand).resolves({ Successful: [{ Id: "m7", MessageId: "m" }] });
    const deps = { aws: testClients(), http: fakeHttp(() => ({ status: 202, body: "{}" })).client };
    await createSender("sns", { ...deps, credentials }, false, {}, groups).send(target, [message]);
    await createSender("sns", { ...deps, credentials }, true, {}, groups).send(target, [message]);
    expect(snsMock.commandCalls(Sns.PublishCommand)[0].args[0].input).toMatchObject(ids);
    const [entry] = snsMock.commandCalls(Sns.PublishBatchCommand)[0].args[0].input
      .PublishBatchRequestEntries!;
    expect(entry).toMatchObject(ids);
  });

  it("give a message sent straight to SQS, one by one or batched, the same", async () => {
    sqsMock.on(SendMessageCommand).resolves({ MessageId: "m" });
    sqsMock
      .on(SendMessageBatchCommand)
      .resolves({ Successful: [{ Id: "m7", MessageId: "m" }] } as never);
    const deps = { aws: testClients(), http: fakeHttp(() => ({ status: 202, body: "{}" })).client };
    const queue = { ...target, address: "https://sqs.us-east-1.amazonaws.com/1/q.fifo" };
    await createSender("sqs", { ...deps, credentials }, false, {}, groups).send(queue, [message]);
    await createSender("sqs", { ...deps, credentials }, true, {}, groups).send(queue, [message]);
    expect(sqsMock.commandCalls(SendMessageCommand)[0].args[0].input).toMatchObject(ids);
    const [entry] = sqsMock.commandCalls(SendMessageBatchCommand)[0].args[0].input.Entries!;
    expect(entry).toMatchObject(ids);
  });

  it("send the API a body and key it accepts on a FIFO topic, with the group", async () => {
    const http = fakeHttp(() => ({ status: 202, body: '{"messageId":"m"}' }));
    const api = {
      ...target,
      address: "https://abc.execute-api.us-east-1.amazonaws.com/v1/messages",
    };
    await createSender(
      "api",
      { aws: testClients(), http: http.client, credentials },
      false,
      {},
      groups,
    ).send(api, [message]);
    const [request] = http.requests;
    const parsed = parsePublishRequest(
      {
        headers: request.headers as Record<string, string>,
        multiValueHeaders: {},
        body: request.body ?? null,
        isBase64Encoded: false,
      },
      Date.now(),
      { contentBasedDeduplication: false },
    );
    expect(parsed).toMatchObject({
      ok: true,
      ...{ messageGroupId: "p-1", deduplicationId: "key-7" },
    });
  });

  it("send no group to a standard unit", async () => {
    snsMock.on(Sns.PublishCommand).resolves({ MessageId: "m" });
    const deps = { aws: testClients(), http: fakeHttp(() => ({ status: 202, body: "{}" })).client };
    await createSender("sns", { ...deps, credentials }, false).send(target, [message]);
    expect(snsMock.commandCalls(Sns.PublishCommand)[0].args[0].input).not.toHaveProperty(
      "MessageGroupId",
    );
  });
});

describe("the commands", () => {
  it("list --message-group-id and --message-groups in the help of produce, load-test and drill", async () => {
    for (const command of ["produce", "load-test", "drill"]) {
      const deps = cliDeps();
      await runCli([command, "--help"], deps);
      expect(deps.stdout.text).toContain("--message-group-id <id>");
      expect(deps.stdout.text).toContain("--message-groups <n>");
    }
  });

  it("refuse a message group for a standard unit in one line", async () => {
    const deps = cliDeps();
    const code = await runCli(["produce", "--count", "1", "--message-group-id", "g"], deps);
    expect(code).toBe(2);
    expect(deps.stderr.text).toMatch(/--message-group-id is only for FIFO units/);
  });

  it("derive the metric service of a FIFO unit's topic without .fifo", () => {
    const [stack] = outputsFile({
      primary: { ...fifoStackOutputs("primary", "us-east-1") },
    }).ordered();
    expect(serviceOf(stack)).toBe("fanout-primary");
  });
});
