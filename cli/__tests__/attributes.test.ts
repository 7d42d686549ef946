import * as Sns from "@aws-sdk/client-sns";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { mockClient } from "aws-sdk-client-mock";
import fc from "fast-check";
import { attributeNameProblem, parseAttributes } from "../../lambdas/producer-api/attributes";
import {
  apiAttributes,
  MAX_CLI_ATTRIBUTES,
  parseAttributeOption,
  type MessageAttributes,
} from "../attributes";
import { runCli } from "../program";
import { apiMessageBody, createSender, type Target } from "../senders";
import { filteredQueueArns } from "../subscriptions";
import { cliDeps, fakeHttp, outputsFile, TEST_CREDENTIALS, testClients } from "./helpers";

const [snsMock, sqsMock] = [mockClient(Sns.SNSClient), mockClient(SQSClient)];
afterEach(() => [snsMock, sqsMock].forEach((mock) => mock.reset()));

const parseAll = (...texts: string[]) =>
  texts.reduce<MessageAttributes>((all, text) => parseAttributeOption(text, all), {});

describe("parseAttributeOption", () => {
  it("reads strings, typed strings and numbers, in the order given", () => {
    expect(parseAll("kind=order", "note:String=a=b", "price:Number=-1.5")).toEqual({
      kind: { DataType: "String", StringValue: "order" },
      note: { DataType: "String", StringValue: "a=b" },
      price: { DataType: "Number", StringValue: "-1.5" },
    });
  });

  it.each([
    [["kind"], /expected name=value/],
    [["=order"], /attribute names must not be empty/],
    [["AWS.trace=1"], /reserved by AWS/],
    [["idempotency_key=x"], /is reserved/],
    [["kind=a", "kind=b"], /"kind" is given twice/],
    [["kind="], /"kind" has an empty value/],
    [["n:Number=1e3"], /"n" is not a decimal number/],
    [["n:Number=1000000000"], /"n" is not a decimal number/],
    [["n:Binary=1"], /expected name=value/],
  ])("refuses %p", (texts, message) => {
    expect(() => parseAll(...texts)).toThrow(message);
  });

  it(`refuses more than ${MAX_CLI_ATTRIBUTES}: the idempotency key is the tenth`, () => {
    const texts = Array.from({ length: MAX_CLI_ATTRIBUTES + 1 }, (_, i) => `a${i}=x`);
    expect(() => parseAll(...texts.slice(0, -1))).not.toThrow();
    expect(() => parseAll(...texts)).toThrow(/at most 9 attributes/);
  });

  it("refuses exactly the names the producer API refuses", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.stringMatching(/^[A-Za-z0-9_.-]{1,12}$/)), (name) => {
        fc.pre(!name.includes("=") && !name.includes(":"));
        const accepted = (() => {
          try {
            parseAttributeOption(`${name}=v`);
            return true;
          } catch {
            return false;
          }
        })();
        expect(accepted).toBe(attributeNameProblem(name) === undefined);
      }),
    );
  });

  it("gives the API attributes it accepts with the same types and values", () => {
    const entry = fc.oneof(
      fc
        .tuple(
          fc.stringMatching(/^[a-z][a-z0-9_]{0,8}$/),
          fc.string({ minLength: 1, maxLength: 8 }),
        )
        .map(([n, v]) => `${n}=${v}`),
      fc
        .tuple(fc.stringMatching(/^[a-z][a-z0-9_]{0,8}$/), fc.integer({ min: -1e6, max: 1e6 }))
        .map(([n, v]) => `${n}:Number=${v}`),
    );
    fc.assert(
      fc.property(
        fc.uniqueArray(entry, { maxLength: 9, selector: (e) => e.split(/[:=]/)[0] }),
        (texts) => {
          let attributes: MessageAttributes;
          try {
            attributes = parseAll(...texts);
          } catch {
            return; // a value the CLI refuses (e.g. characters SQS does not take) is not sent
          }
          const api = parseAttributes(apiAttributes(attributes), "key-1");
          if (!api.ok) throw new Error(api.message);
          for (const [name, value] of Object.entries(attributes)) {
            expect(api.attributes[name]).toEqual(value);
          }
        },
      ),
    );
  });
});

describe("senders with attributes", () => {
  const attributes = parseAll("kind=order", "size:Number=3");
  const deps = { aws: testClients(), http: fakeHttp(() => ({ status: 202, body: "{}" })).client };
  const message = { recorded_at: 1748779200000, seq: 7, producer: "p", id: "key-7" };
  const target: Target = { stack: "primary", region: "us-east-1", address: "arn:topic" };
  const expected = {
    kind: { DataType: "String", StringValue: "order" },
    size: { DataType: "Number", StringValue: "3" },
    idempotency_key: { DataType: "String", StringValue: "key-7" },
  };

  it("adds them to every SNS publish, one by one or batched, beside the idempotency key", async () => {
    snsMock.on(Sns.PublishCommand).resolves({ MessageId: "m" });
    snsMock.on(Sns.PublishBatchCommand).resolves({ Successful: [{ Id: "m7", MessageId: "m" }] });
    const credentials = () => TEST_CREDENTIALS;
    await createSender("sns", { ...deps, credentials }, false, attributes).send(target, [message]);
    await createSender("sns", { ...deps, credentials }, true, attributes).send(target, [message]);
    expect(snsMock.commandCalls(Sns.PublishCommand)[0].args[0].input.MessageAttributes).toEqual(
      expected,
    );
    const [entry] = snsMock.commandCalls(Sns.PublishBatchCommand)[0].args[0].input
      .PublishBatchRequestEntries!;
    expect(entry.MessageAttributes).toEqual(expected);
  });

  it("adds them to a message sent straight to SQS", async () => {
    sqsMock.on(SendMessageCommand).resolves({ MessageId: "m" });
    const sender = createSender(
      "sqs",
      { ...deps, credentials: () => TEST_CREDENTIALS },
      false,
      attributes,
    );
    await sender.send({ ...target, address: "https://sqs/q" }, [message]);
    expect(sqsMock.commandCalls(SendMessageCommand)[0].args[0].input.MessageAttributes).toEqual(
      expected,
    );
  });

  it("puts them in the API body's _attributes, numbers as numbers, and leaves it out without any", () => {
    expect(JSON.parse(apiMessageBody(message, attributes))).toEqual({
      seq: 7,
      producer: "p",
      _attributes: { kind: "order", size: 3 },
    });
    expect(JSON.parse(apiMessageBody(message))).toEqual({ seq: 7, producer: "p" });
  });
});

describe("fanout produce --attribute", () => {
  it("answers a usage error in one line for a repeated name", async () => {
    const deps = cliDeps();
    const code = await runCli(["produce", "--attribute", "k=a", "--attribute", "k=b"], deps);
    expect(code).toBe(2);
    expect(deps.stderr.text).toMatch(
      /--attribute <name=value>' argument 'k=b' is invalid\. attribute "k" is given twice\./,
    );
  });

  it("is listed in the help of produce, load-test and drill", async () => {
    for (const command of ["produce", "load-test", "drill"]) {
      const deps = cliDeps();
      await runCli([command, "--help"], deps);
      expect(deps.stdout.text).toContain("--attribute <name=value>");
    }
  });
});

describe("filteredQueueArns", () => {
  it("lists the queues whose subscription has a filter policy, page by page", async () => {
    const stacks = outputsFile().ordered();
    snsMock
      .on(Sns.ListSubscriptionsByTopicCommand)
      .callsFake((input: { TopicArn: string; NextToken?: string }) =>
        input.NextToken === undefined
          ? {
              Subscriptions: [
                {
                  Protocol: "sqs",
                  SubscriptionArn: `${input.TopicArn}:1`,
                  Endpoint: `${input.TopicArn}-q1`,
                },
                { Protocol: "email", SubscriptionArn: `${input.TopicArn}:2`, Endpoint: "a@b.c" },
              ],
              NextToken: "page-2",
            }
          : {
              Subscriptions: [
                {
                  Protocol: "sqs",
                  SubscriptionArn: `${input.TopicArn}:3`,
                  Endpoint: `${input.TopicArn}-q2`,
                },
                { Protocol: "sqs", SubscriptionArn: "PendingConfirmation", Endpoint: "x" },
              ],
            },
      )
      .on(Sns.GetSubscriptionAttributesCommand)
      .callsFake((input: { SubscriptionArn: string }) => ({
        Attributes: input.SubscriptionArn.endsWith(":1") ? { FilterPolicy: '{"k":["v"]}' } : {},
      }));
    const client = new Sns.SNSClient({ region: "us-east-1", credentials: TEST_CREDENTIALS });
    const filtered = await filteredQueueArns(stacks, () => client);
    expect([...filtered].sort()).toEqual(stacks.map((s) => `${s.string("topic_arn")}-q1`).sort());
    expect(snsMock.commandCalls(Sns.GetSubscriptionAttributesCommand)).toHaveLength(
      2 * stacks.length,
    );
  });
});
