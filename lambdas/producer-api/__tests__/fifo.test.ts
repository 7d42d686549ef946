import "./init-env";
import { GetTopicAttributesCommand, PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import type { APIGatewayProxyResult } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import fc from "fast-check";
import { ENV_CONTENT_BASED_DEDUPLICATION, ENV_TOPIC_ARN, readConfig } from "../env";
import { fifoIdProblem, MAX_FIFO_ID_LENGTH, MESSAGE_GROUP_FIELD } from "../fifo";
import { handler, topicHealth } from "../index";
import { parsePublishRequest } from "../request";
import {
  FUNCTION_ENV,
  captureLogs,
  lambdaContext,
  publishEvent,
  setFunctionEnv,
} from "./factories";

const FIFO_TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:fanout-primary-topic.fifo";
const NOW = 1_740_830_400_123;
const KEY = "0b9f1c2e-6a3d-4e5f-8a7b-9c0d1e2f3a4b";
/** SNS's characters for group and deduplication ids: alphanumerics and punctuation. */
const ID_CHARS = [..."abcXYZ0189", ..."!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"];

describe("fifoIdProblem (SNS message group and deduplication ids)", () => {
  const idArb = fc
    .array(fc.constantFrom(...ID_CHARS), { minLength: 1, maxLength: MAX_FIFO_ID_LENGTH })
    .map((chars) => chars.join(""));

  it("accepts every 1 to 128 characters of alphanumerics and punctuation", () => {
    fc.assert(fc.property(idArb, (id) => fifoIdProblem(id) === undefined));
  });

  it("refuses ids longer than 128 characters", () => {
    fc.assert(
      fc.property(idArb, idArb, (a, b) => {
        const id = (a + b + "x".repeat(MAX_FIFO_ID_LENGTH)).slice(0, MAX_FIFO_ID_LENGTH + 1);
        return fifoIdProblem(id) === `is 129 characters, longer than ${MAX_FIFO_ID_LENGTH}`;
      }),
    );
  });

  it("refuses any id with a character outside them (spaces, controls, non-ASCII)", () => {
    const bad = fc.oneof(
      fc.constantFrom(" ", "\t", "\n", "\u007f", "é", "\u00a0", "😀"),
      fc
        .string({ minLength: 1, maxLength: 1, unit: "binary" })
        .filter((c) => !/^[\x21-\x7e]$/.test(c)),
    );
    const shortArb = idArb.map((id) => id.slice(0, MAX_FIFO_ID_LENGTH - 2));
    fc.assert(
      fc.property(shortArb, bad, fc.nat(), (id, c, at) => {
        const position = at % (id.length + 1);
        return fifoIdProblem(id.slice(0, position) + c + id.slice(position)) !== undefined;
      }),
    );
    expect(fifoIdProblem("group 1")).toMatch(/letters, digits and ASCII punctuation/);
  });

  it.each([
    ["", "must not be empty"],
    [7, "must be a string (got number)"],
    [null, "must be a string (got null)"],
    [["g"], "must be a string (got an array)"],
  ])("refuses %j", (value, problem) => {
    expect(fifoIdProblem(value)).toBe(problem);
  });
});

describe("readConfig of a FIFO topic", () => {
  it("knows a topic whose name ends in .fifo, and whether it deduplicates by content", () => {
    const fifo = readConfig({ ...FUNCTION_ENV, [ENV_TOPIC_ARN]: FIFO_TOPIC_ARN });
    expect(fifo.ok && fifo.config.fifo).toEqual({ contentBasedDeduplication: false });
    const content = readConfig({
      ...FUNCTION_ENV,
      [ENV_TOPIC_ARN]: FIFO_TOPIC_ARN,
      [ENV_CONTENT_BASED_DEDUPLICATION]: "true",
    });
    expect(content.ok && content.config.fifo).toEqual({ contentBasedDeduplication: true });
    const standard = readConfig(FUNCTION_ENV);
    expect(standard.ok && standard.config).not.toHaveProperty("fifo");
  });

  it("refuses content-based deduplication on a standard topic, and a value that is no flag", () => {
    expect(readConfig({ ...FUNCTION_ENV, [ENV_CONTENT_BASED_DEDUPLICATION]: "true" })).toEqual({
      ok: false,
      problems: [
        `${ENV_CONTENT_BASED_DEDUPLICATION} is true but "fanout-primary-topic" is no FIFO topic`,
      ],
    });
    const bad = readConfig({
      ...FUNCTION_ENV,
      [ENV_TOPIC_ARN]: FIFO_TOPIC_ARN,
      [ENV_CONTENT_BASED_DEDUPLICATION]: "yes",
    });
    expect(bad.ok).toBe(false);
  });
});

describe("parsePublishRequest with message groups", () => {
  const fifo = { contentBasedDeduplication: false };
  const keyed = { headers: { "Idempotency-Key": KEY } };

  it("takes the group from the body, keeps it out of the message, dedupes by the key", () => {
    const result = parsePublishRequest(
      publishEvent({ order: 1, [MESSAGE_GROUP_FIELD]: "customer-7" }, keyed),
      NOW,
      fifo,
    );
    expect(result).toMatchObject({
      ok: true,
      messageGroupId: "customer-7",
      deduplicationId: KEY,
    });
    expect(result.ok && JSON.parse(result.message)).toEqual({ order: 1, recorded_at: NOW });
  });

  it.each([
    [
      { order: 1 },
      keyed,
      `"${MESSAGE_GROUP_FIELD}" is required: this unit's topic is a FIFO topic`,
    ],
    [{ [MESSAGE_GROUP_FIELD]: "" }, keyed, `"${MESSAGE_GROUP_FIELD}" must not be empty`],
    [{ [MESSAGE_GROUP_FIELD]: 3 }, keyed, `"${MESSAGE_GROUP_FIELD}" must be a string (got number)`],
    [{ [MESSAGE_GROUP_FIELD]: "a".repeat(129) }, keyed, "is 129 characters, longer than 128"],
    [{ [MESSAGE_GROUP_FIELD]: "g" }, {}, "Idempotency-Key is required: this unit's FIFO topic"],
    [
      { [MESSAGE_GROUP_FIELD]: "g" },
      { headers: { "Idempotency-Key": "k".repeat(200) } },
      "Idempotency-Key is 200 characters, longer than 128: on a FIFO topic it is the deduplication id",
    ],
  ])("answers 400 for %j with headers %j on a FIFO topic", (payload, options, message) => {
    const result = parsePublishRequest(publishEvent(payload, options), NOW, fifo);
    expect(result).toMatchObject({ ok: false, status: 400 });
    expect(!result.ok && result.message).toContain(message);
  });

  it("publishes without a deduplication id when the topic deduplicates by content", () => {
    const result = parsePublishRequest(publishEvent({ [MESSAGE_GROUP_FIELD]: "g" }), NOW, {
      contentBasedDeduplication: true,
    });
    expect(result).toMatchObject({ ok: true, messageGroupId: "g" });
    expect(result).not.toHaveProperty("deduplicationId");
  });

  it("answers 400 for a message group on a standard topic, and publishes none without one", () => {
    const refused = parsePublishRequest(publishEvent({ [MESSAGE_GROUP_FIELD]: "g" }), NOW);
    expect(refused).toMatchObject({ ok: false, status: 400 });
    expect(!refused.ok && refused.message).toMatch(/only for FIFO units/);
    const plain = parsePublishRequest(publishEvent({ order: 1 }, keyed), NOW);
    expect(plain.ok).toBe(true);
    expect(plain).not.toHaveProperty("messageGroupId");
    expect(plain).not.toHaveProperty("deduplicationId");
  });
});

describe("the handler on a FIFO unit", () => {
  const sns = mockClient(SNSClient);
  let restoreEnv: () => void;

  beforeEach(() => {
    sns.reset();
    topicHealth.clear();
    sns.on(PublishCommand).resolves({ MessageId: "m-1", SequenceNumber: "10000000000000000001" });
    sns.on(GetTopicAttributesCommand).resolves({ Attributes: {} });
    restoreEnv = setFunctionEnv({ [ENV_TOPIC_ARN]: FIFO_TOPIC_ARN });
    captureLogs();
  });

  afterEach(() => {
    jest.restoreAllMocks();
    restoreEnv();
  });

  const body = (result: APIGatewayProxyResult) =>
    JSON.parse(result.body) as Record<string, unknown>;

  it("publishes with the group and the key as deduplication id, and answers the sequence number", async () => {
    const result = await handler(
      publishEvent(
        { order: 1, [MESSAGE_GROUP_FIELD]: "customer-7" },
        {
          headers: { "Idempotency-Key": KEY },
        },
      ),
      lambdaContext(),
    );
    expect(result.statusCode).toBe(202);
    expect(body(result)).toMatchObject({
      messageId: "m-1",
      messageGroupId: "customer-7",
      sequenceNumber: "10000000000000000001",
    });
    const calls = sns.commandCalls(PublishCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0].args[0].input).toMatchObject({
      TopicArn: FIFO_TOPIC_ARN,
      MessageGroupId: "customer-7",
      MessageDeduplicationId: KEY,
    });
  });

  it("publishes nothing and answers 400 naming the field without a message group", async () => {
    const result = await handler(
      publishEvent({ order: 1 }, { headers: { "Idempotency-Key": KEY } }),
      lambdaContext(),
    );
    expect(result.statusCode).toBe(400);
    expect(String(body(result).message)).toContain(MESSAGE_GROUP_FIELD);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
  });
});
