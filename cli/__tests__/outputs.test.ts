import { OutputsFile, queuesOf, regionOfQueueUrl } from "../outputs";
import { outputsFile, stackOutputs, twoStackOutputs } from "./helpers";

describe("OutputsFile", () => {
  it("keeps the file's stack order, or the order given", () => {
    const data = { secondary: twoStackOutputs().secondary, primary: twoStackOutputs().primary };
    const file = outputsFile(data);
    expect(file.names()).toEqual(["secondary", "primary"]);
    expect(file.ordered().map((s) => s.name)).toEqual(["secondary", "primary"]);
    expect(file.ordered(["primary", "secondary"]).map((s) => s.name)).toEqual([
      "primary",
      "secondary",
    ]);
  });

  it("throws when the file is not JSON", () => {
    expect(() => OutputsFile.parse("outputs.json", "{ nope")).toThrow(
      /^outputs file outputs.json: not valid JSON \(/,
    );
  });

  it("throws when the file is not an object of stacks", () => {
    expect(() => OutputsFile.parse("o.json", "[]")).toThrow(
      "outputs file o.json: expected an object keyed by stack name",
    );
    expect(() => OutputsFile.parse("o.json", "{}")).toThrow("outputs file o.json: has no stacks");
    expect(() => OutputsFile.parse("o.json", '{"primary": 3}')).toThrow(
      'outputs file o.json: stack "primary" is not an object of outputs',
    );
  });

  it("throws when the file is missing, naming how to write it", () => {
    const read = (): string => {
      throw Object.assign(new Error("ENOENT"), { code: "ENOENT" });
    };
    expect(() => OutputsFile.load("outputs.json", read)).toThrow(
      /^outputs file outputs.json not found; write it with: npx cdktf deploy/,
    );
  });

  it("throws on an unknown stack, listing the known ones", () => {
    expect(() => outputsFile().stack("tertiary")).toThrow(
      'unknown stack "tertiary" (outputs file outputs.json has: primary, secondary)',
    );
    expect(() => outputsFile().ordered(["primary", "nope"])).toThrow('unknown stack "nope"');
  });

  it("throws one precise line for a missing or mistyped output", () => {
    const file = outputsFile({ primary: { region: "us-east-1", replica_queue_urls: { a: 1 } } });
    const stack = file.stack("primary");
    expect(() => stack.string("topic_arn")).toThrow(
      'outputs file outputs.json: stack "primary" lacks "topic_arn"',
    );
    expect(() => stack.stringMap("replica_queue_urls")).toThrow(
      'outputs file outputs.json: stack "primary" has "replica_queue_urls" whose entry "a" is not a string',
    );
    expect(() => stack.stringMap("region")).toThrow(
      'stack "primary" has "region" that is not an object of region -> string',
    );
    expect(() => stack.stringList("region")).toThrow('has "region" that is not a list of strings');
  });

  it("serves a partial file to a command that needs only part of it", () => {
    const file = outputsFile({ primary: { region: "us-east-1", topic_arn: "arn:aws:sns:x" } });
    expect(file.stack("primary").string("topic_arn")).toBe("arn:aws:sns:x");
  });
});

describe("regionOfQueueUrl", () => {
  it("reads the region from SQS URLs", () => {
    expect(regionOfQueueUrl("https://sqs.eu-west-1.amazonaws.com/1/q", "x")).toBe("eu-west-1");
    expect(regionOfQueueUrl("https://sqs.cn-north-1.amazonaws.com.cn/1/q", "x")).toBe("cn-north-1");
    expect(regionOfQueueUrl("https://us-west-2.queue.amazonaws.com/1/q", "x")).toBe("us-west-2");
  });

  it("falls back for other endpoints", () => {
    expect(regionOfQueueUrl("http://localhost:4566/000000000000/q", "us-east-1")).toBe("us-east-1");
  });
});

describe("queuesOf", () => {
  it("lists the active queue first, then each replica, with their DLQs", () => {
    const regions = ["us-east-1", "us-west-2", "eu-west-1"];
    const file = outputsFile({ primary: stackOutputs("primary", "us-east-1", regions) });
    const queues = queuesOf(file.stack("primary"), true);
    expect(queues.map((q) => [q.role, q.region])).toEqual([
      ["active", "us-east-1"],
      ["replica", "us-west-2"],
      ["replica", "eu-west-1"],
    ]);
    expect(queues[1].dlqUrl).toBe(
      "https://sqs.us-west-2.amazonaws.com/123456789012/fanout-primary-replica-us-west-2-dlq",
    );
    // The delivery DLQ of every subscription lives in the topic's region.
    expect(queues[1].deliveryDlqUrl).toMatch(/^https:\/\/sqs\.us-east-1\./);
  });

  it("throws when a replica has no DLQ entry", () => {
    const outputs = twoStackOutputs();
    const file = outputsFile({ primary: { ...outputs.primary, replica_dlq_urls: {} } });
    expect(() => queuesOf(file.stack("primary"))).toThrow(
      'stack "primary" has "replica_dlq_urls" without an entry for region "us-west-2"',
    );
  });
});

describe("OutputsFile endpoints and local runtime", () => {
  const withExtras = (extras: Record<string, unknown>) =>
    OutputsFile.parse("o.json", JSON.stringify({ ...twoStackOutputs(), ...extras }));

  it("reads the region -> endpoint map and the local control URL, and no stack of either", () => {
    const file = withExtras({
      _endpoints: { "us-east-1": "http://127.0.0.1:4001", "us-west-2": "http://127.0.0.1:4002" },
      _local: { control_url: "http://127.0.0.1:4000" },
    });
    expect(file.names()).toEqual(["primary", "secondary"]);
    expect(file.endpoints).toEqual({
      "us-east-1": "http://127.0.0.1:4001",
      "us-west-2": "http://127.0.0.1:4002",
    });
    expect(file.local).toEqual({ controlUrl: "http://127.0.0.1:4000" });
  });

  it("has no endpoints and no local runtime when the file names none (AWS itself)", () => {
    const file = outputsFile();
    expect(file.endpoints).toEqual({});
    expect(file.local).toBeUndefined();
  });

  it("throws when an endpoint is not an http(s) URL", () => {
    expect(() => withExtras({ _endpoints: { "us-east-1": "ftp://x" } })).toThrow(
      'outputs file o.json: "_endpoints" entry "us-east-1" is not an http(s) URL: "ftp://x"',
    );
    expect(() => withExtras({ _endpoints: ["http://x"] })).toThrow(
      'outputs file o.json: "_endpoints" is not an object of region -> URL',
    );
  });

  it("throws when _local has no control URL", () => {
    expect(() => withExtras({ _local: {} })).toThrow(
      'outputs file o.json: "_local" needs "control_url", an http(s) URL',
    );
  });
});
