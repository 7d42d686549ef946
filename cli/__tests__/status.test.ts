import { GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { mockClient } from "aws-sdk-client-mock";
import { formatStatus, hasProblems, readStatus } from "../status";
import { fakeHttp, outputsFile, testClients } from "./helpers";

const sqsMock = mockClient(SQSClient);
beforeEach(() => sqsMock.reset());

/** Depth per queue name (the last part of the URL). */
function cannedDepths(depths: Record<string, [number, number] | Error>) {
  const seen: { url: string; region: string }[] = [];
  sqsMock.on(GetQueueAttributesCommand).callsFake(async (input, getClient) => {
    const url: string = input.QueueUrl;
    seen.push({ url, region: await getClient().config.region() });
    const depth = depths[url.split("/").pop()!] ?? [0, 0];
    if (depth instanceof Error) throw depth;
    return {
      Attributes: {
        ApproximateNumberOfMessages: String(depth[0]),
        ApproximateNumberOfMessagesNotVisible: String(depth[1]),
        ApproximateNumberOfMessagesDelayed: "0",
      },
    };
  });
  return seen;
}

const healthy = fakeHttp((request) =>
  request.url.includes("abcprimary")
    ? {
        status: 200,
        body: '{"service":"fanout","stack":"primary","region":"us-east-1","topic":"t"}',
      }
    : { status: 502, body: '{"message": "Internal server error"}' },
);

describe("status", () => {
  it("shows health and every queue, DLQ and delivery DLQ depth, each read in its region", async () => {
    const seen = cannedDepths({
      "fanout-primary-active": [5, 2],
      "fanout-primary-replica-us-west-2-dlq": [3, 0],
      "fanout-secondary-delivery-us-east-1-dlq": [1, 0],
    });
    const status = await readStatus({
      stacks: outputsFile().ordered(),
      sqs: (region) => testClients().sqs(region),
      http: healthy.client,
      timeoutMs: 1000,
    });

    // 2 stacks x 2 queues x (queue, dlq, delivery dlq)
    expect(seen).toHaveLength(12);
    for (const { url, region } of seen) expect(url).toContain(`sqs.${region}.`);
    expect(healthy.requests.map((r) => r.url).sort()).toEqual([
      "https://abcprimary.execute-api.us-east-1.amazonaws.com/prod/health",
      "https://abcsecondary.execute-api.us-west-2.amazonaws.com/prod/health",
    ]);

    const lines = formatStatus(status).split("\n");
    expect(lines[0]).toMatch(/^stack +region +health +answer$/);
    expect(lines[1]).toBe(
      'primary    us-east-1  ok       200 {"service":"fanout","stack":"primary","region":"us-east-1","topic":"t"}',
    );
    expect(lines[2]).toBe(
      'secondary  us-west-2  FAILING  502 {"message": "Internal server error"}',
    );
    expect(lines).toContainEqual(
      expect.stringMatching(/^primary +active +us-east-1 +5 +2 +0 +0 +0$/),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(/^primary +replica +us-west-2 +0 +0 +0 +3 +0$/),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(/^secondary +replica +us-east-1 +0 +0 +0 +0 +1$/),
    );
    expect(lines).toContain(
      "primary replica us-west-2: 3 messages in the DLQ (fanout redrive --stack primary --queue us-west-2)",
    );
    expect(lines).toContain(
      "secondary replica us-east-1: 1 message SNS could not deliver (delivery DLQ)",
    );
    expect(hasProblems(status)).toBe(true);
  });

  it("shows a queue that cannot be read as an error, and keeps the rest", async () => {
    cannedDepths({
      "fanout-primary-replica-us-west-2": Object.assign(new Error("Service Unavailable"), {
        name: "ServiceUnavailable",
      }),
    });
    const status = await readStatus({
      stacks: [outputsFile().stack("primary")],
      sqs: (region) => testClients().sqs(region),
      http: healthy.client,
      timeoutMs: 1000,
    });
    const text = formatStatus(status);
    expect(text).toMatch(/primary +replica +us-west-2 +error +error +error +0 +0/);
    expect(text).toContain(
      "primary replica us-west-2 queue: ServiceUnavailable: Service Unavailable",
    );
    expect(hasProblems(status)).toBe(true);
  });

  it("has no problems when every check answers", async () => {
    cannedDepths({});
    const status = await readStatus({
      stacks: [outputsFile().stack("primary")],
      sqs: (region) => testClients().sqs(region),
      http: healthy.client,
      timeoutMs: 1000,
    });
    expect(hasProblems(status)).toBe(false);
  });

  it("throws before any call when an output it needs is missing", async () => {
    const file = outputsFile({ primary: { region: "us-east-1", active_queue_url: "x" } });
    await expect(
      readStatus({
        stacks: file.ordered(),
        sqs: (region) => testClients().sqs(region),
        http: healthy.client,
        timeoutMs: 1000,
      }),
    ).rejects.toThrow('outputs file outputs.json: stack "primary" lacks "health_url"');
    expect(sqsMock.calls()).toHaveLength(0);
  });
});
