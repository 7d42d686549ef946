import "./init-env";
import {
  AuthorizationErrorException,
  GetTopicAttributesCommand,
  KMSDisabledException,
  NotFoundException,
  PublishCommand,
  SNSClient,
  ThrottledException,
} from "@aws-sdk/client-sns";
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { ENV_SERVICE_NAME, ENV_STACK, ENV_TOPIC_ARN } from "../env";
import { handler, topicHealth } from "../index";
import { MAX_MESSAGE_BYTES } from "../request";
import postMessagesEvent from "./fixtures/post-messages-event.json";
import {
  API_REQUEST_ID,
  LAMBDA_REQUEST_ID,
  REGION,
  SERVICE,
  STACK,
  TOPIC_ARN,
  apiEvent,
  captureLogs,
  lambdaContext,
  publishEvent,
  setFunctionEnv,
  type CapturedLogs,
} from "./factories";

const sns = mockClient(SNSClient);
const NOW = 1_740_830_400_123;
const MESSAGE_ID = "6f2c3e1a-0b7d-5e4f-9a8b-1c2d3e4f5a6b";

let restoreEnv: () => void;
let logs: CapturedLogs;

beforeEach(() => {
  sns.reset();
  topicHealth.clear();
  sns.on(PublishCommand).resolves({ MessageId: MESSAGE_ID });
  sns.on(GetTopicAttributesCommand).resolves({ Attributes: {} });
  restoreEnv = setFunctionEnv();
  logs = captureLogs();
  jest.useFakeTimers({ now: NOW, doNotFake: ["nextTick", "setImmediate"] });
});

afterEach(() => {
  jest.useRealTimers();
  jest.restoreAllMocks();
  restoreEnv();
});

async function invoke(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  return handler(event, lambdaContext());
}

function body(result: APIGatewayProxyResult): Record<string, unknown> {
  return JSON.parse(result.body) as Record<string, unknown>;
}

function publishedInputs() {
  return sns.commandCalls(PublishCommand).map((call) => call.args[0].input);
}

function errorLogs(): Record<string, unknown>[] {
  return logs.records.filter((r) => r.level === "ERROR");
}

/** Every answer is JSON with the JSON content type. */
function expectJsonAnswer(result: APIGatewayProxyResult, status: number): void {
  expect(result.statusCode).toBe(status);
  expect(result.headers?.["Content-Type"]).toBe("application/json");
  expect(() => JSON.parse(result.body)).not.toThrow();
}

describe("POST /messages, happy path", () => {
  it("publishes exactly once, stamps recorded_at and answers 202", async () => {
    const result = await invoke(publishEvent({ order_id: 7, status: "created" }));

    expectJsonAnswer(result, 202);
    expect(body(result)).toEqual({ messageId: MESSAGE_ID, recorded_at: NOW, region: REGION });
    expect(publishedInputs()).toEqual([
      {
        TopicArn: TOPIC_ARN,
        Message: JSON.stringify({ order_id: 7, status: "created", recorded_at: NOW }),
        MessageAttributes: undefined,
      },
    ]);
  });

  it("keeps recorded_at when the producer sent one", async () => {
    const result = await invoke(publishEvent({ recorded_at: 1_700_000_000_000, a: 1 }));

    expectJsonAnswer(result, 202);
    expect(body(result)).toMatchObject({ recorded_at: 1_700_000_000_000 });
    expect(publishedInputs()).toHaveLength(1);
    expect(JSON.parse(publishedInputs()[0].Message ?? "")).toEqual({
      recorded_at: 1_700_000_000_000,
      a: 1,
    });
  });

  it("publishes the attributes and the idempotency key as message attributes", async () => {
    const event = publishEvent(
      { order_id: 7, _attributes: { event_type: "order.created", priority: 2, tags: ["a", "b"] } },
      { headers: { "Idempotency-Key": "order-7-created" } },
    );
    const result = await invoke(event);

    expectJsonAnswer(result, 202);
    expect(publishedInputs()).toEqual([
      {
        TopicArn: TOPIC_ARN,
        Message: JSON.stringify({ order_id: 7, recorded_at: NOW }),
        MessageAttributes: {
          event_type: { DataType: "String", StringValue: "order.created" },
          priority: { DataType: "Number", StringValue: "2" },
          tags: { DataType: "String.Array", StringValue: '["a","b"]' },
          idempotency_key: { DataType: "String", StringValue: "order-7-created" },
        },
      },
    ]);
  });

  it("accepts base64 bodies", async () => {
    const event = apiEvent({
      body: Buffer.from('{"note":"café"}').toString("base64"),
      isBase64Encoded: true,
    });
    const result = await invoke(event);

    expectJsonAnswer(result, 202);
    expect(publishedInputs()[0].Message).toBe(JSON.stringify({ note: "café", recorded_at: NOW }));
  });

  it("handles a real-shaped API Gateway event (fixture)", async () => {
    const result = await invoke(postMessagesEvent as APIGatewayProxyEvent);

    expectJsonAnswer(result, 202);
    expect(publishedInputs()).toEqual([
      {
        TopicArn: TOPIC_ARN,
        Message: JSON.stringify({ order_id: 1234, status: "created", recorded_at: NOW }),
        MessageAttributes: {
          event_type: { DataType: "String", StringValue: "order.created" },
          priority: { DataType: "Number", StringValue: "2" },
          idempotency_key: { DataType: "String", StringValue: "order-1234-created" },
        },
      },
    ]);
  });

  it("logs the publish with both request ids", async () => {
    await invoke(publishEvent({ a: 1 }));

    expect(logs.records).toContainEqual(
      expect.objectContaining({
        level: "INFO",
        message: "Message published",
        message_id: MESSAGE_ID,
        api_request_id: API_REQUEST_ID,
        function_request_id: LAMBDA_REQUEST_ID,
        service: SERVICE,
      }),
    );
  });
});

describe("POST /messages, refused requests publish nothing", () => {
  const cases: [string, APIGatewayProxyEvent, number][] = [
    ["bad JSON", apiEvent({ body: '{"a":' }), 400],
    ["an array body", apiEvent({ body: "[1,2,3]" }), 400],
    ["a null body", apiEvent({ body: "null" }), 400],
    ["a scalar body", apiEvent({ body: "42" }), 400],
    ["a missing body", apiEvent({ body: null }), 400],
    ["an empty body", apiEvent({ body: "" }), 400],
    ["invalid base64", apiEvent({ body: "%%%", isBase64Encoded: true }), 400],
    ["a wrong content type", apiEvent({ headers: { "Content-Type": "text/plain" } }), 415],
    [
      "a form content type",
      apiEvent({ headers: { "Content-Type": "application/x-www-form-urlencoded" } }),
      415,
    ],
    ["a missing content type", apiEvent({ headers: { "Content-Type": undefined } }), 415],
    [
      "a non-UTF-8 charset",
      apiEvent({ headers: { "Content-Type": "application/json; charset=latin1" } }),
      415,
    ],
    ["a too large message", publishEvent({ data: "x".repeat(MAX_MESSAGE_BYTES) }), 413],
    ["recorded_at as a string", publishEvent({ recorded_at: "1700000000000" }), 400],
    ["recorded_at as a NaN-ish string", publishEvent({ recorded_at: "NaN" }), 400],
    ["recorded_at infinite", apiEvent({ body: '{"recorded_at":1e999}' }), 400],
    ["recorded_at negative", publishEvent({ recorded_at: -5 }), 400],
    ["recorded_at an object", publishEvent({ recorded_at: { ms: 1 } }), 400],
    ["recorded_at null", publishEvent({ recorded_at: null }), 400],
    ["attributes not an object", publishEvent({ _attributes: ["a"] }), 400],
    ["a bad attribute name", publishEvent({ _attributes: { "bad name": "x" } }), 400],
    ["a reserved attribute name", publishEvent({ _attributes: { "AWS.trace": "x" } }), 400],
    ["an empty attribute value", publishEvent({ _attributes: { kind: "" } }), 400],
    ["a boolean attribute value", publishEvent({ _attributes: { flag: true } }), 400],
    [
      "11 attributes",
      publishEvent({
        _attributes: Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`a${i}`, "v"])),
      }),
      400,
    ],
    [
      "a bad idempotency key",
      publishEvent({}, { headers: { "Idempotency-Key": "has space" } }),
      400,
    ],
  ];

  it.each(cases)("%s answers %i", async (_what, event, status) => {
    const result = await invoke(event);

    expectJsonAnswer(result, status);
    expect(body(result)).toEqual({ message: expect.any(String), requestId: API_REQUEST_ID });
    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
    expect(sns.calls()).toHaveLength(0);
  });

  it("names the problem in the message", async () => {
    const result = await invoke(publishEvent({ recorded_at: "soon" }));
    expect(body(result).message).toContain("recorded_at");
  });

  it.each([
    [0, "before 2000-01-01"],
    [1_740_830_400, "before 2000-01-01"], // epoch seconds
    [1e308, "after the API's clock"],
    [NOW + 86_400_000, "after the API's clock"],
  ])("answers 400 to recorded_at %p, which every consumer would reject", async (value, why) => {
    const result = await invoke(publishEvent({ recorded_at: value }));
    expectJsonAnswer(result, 400);
    expect(body(result).message).toContain(why);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
  });

  it("answers 400 to a body nested thousands deep, never 5xx", async () => {
    const deep = `{"a":${"[".repeat(5_000)}${"]".repeat(5_000)}}`;
    const result = await invoke(apiEvent({ body: deep }));
    expectJsonAnswer(result, 400);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
  });
});

describe("requests that did not come through API Gateway", () => {
  const withoutContext = (event: APIGatewayProxyEvent) =>
    ({ ...event, requestContext: undefined }) as unknown as APIGatewayProxyEvent;
  const withoutIdentity = (event: APIGatewayProxyEvent) => ({
    ...event,
    requestContext: {
      ...event.requestContext,
      identity: { ...event.requestContext.identity, userArn: null },
    },
  });

  it("refuses an event without the API Gateway context with 403, publishing nothing", async () => {
    for (const event of [
      withoutContext(publishEvent({ a: 1 })),
      withoutContext(apiEvent({ method: "GET", path: "/health" })),
    ]) {
      const result = await invoke(event);
      expectJsonAnswer(result, 403);
      expect(body(result).message).toBe("Requests must come through the API");
    }
    expect(sns.calls()).toHaveLength(0);
  });

  it("refuses POST /messages without the IAM identity, and serves health without one", async () => {
    const refused = await invoke(withoutIdentity(publishEvent({ a: 1 })));
    expectJsonAnswer(refused, 403);
    expect(body(refused)).toEqual({
      message: "Requests must be signed with AWS credentials (IAM)",
      requestId: API_REQUEST_ID,
    });
    expect(sns.calls()).toHaveLength(0);
    const health = await invoke(withoutIdentity(apiEvent({ method: "GET", path: "/health" })));
    expect(health.statusCode).toBe(200);
  });

  it("logs the caller's ARN with the request id", async () => {
    await invoke(publishEvent({ a: 1 }));
    expect(logs.records).toContainEqual(
      expect.objectContaining({
        message: "Message published",
        caller_arn: "arn:aws:iam::123456789012:user/producer",
        api_request_id: API_REQUEST_ID,
      }),
    );
  });
});

describe("routing", () => {
  it.each([
    ["GET", "/nope"],
    ["POST", "/"],
    ["POST", "/messages/123"],
  ])("%s %s answers 404", async (method, path) => {
    const result = await invoke(apiEvent({ method, path }));

    expectJsonAnswer(result, 404);
    expect(body(result)).toEqual({ message: expect.any(String), requestId: API_REQUEST_ID });
    expect(sns.calls()).toHaveLength(0);
  });

  it.each([
    ["GET", "/messages", "POST"],
    ["DELETE", "/messages", "POST"],
    ["POST", "/health", "GET"],
  ])("%s %s answers 405 with Allow: %s", async (method, path, allow) => {
    const result = await invoke(apiEvent({ method, path }));

    expectJsonAnswer(result, 405);
    expect(result.headers?.Allow).toBe(allow);
    expect(sns.calls()).toHaveLength(0);
  });
});

describe("GET /health checks that the region can publish", () => {
  const healthEvent = () => apiEvent({ method: "GET", path: "/health" });

  it("calls GetTopicAttributes on the stack's topic", async () => {
    expect((await invoke(healthEvent())).statusCode).toBe(200);
    const calls = sns.commandCalls(GetTopicAttributesCommand);
    expect(calls.map((c) => c.args[0].input)).toEqual([{ TopicArn: TOPIC_ARN }]);
  });

  it("answers 503 with a JSON reason when the topic cannot be used", async () => {
    sns
      .on(GetTopicAttributesCommand)
      .rejects(new NotFoundException({ message: "Topic does not exist", $metadata: {} }));
    const result = await invoke(healthEvent());
    expectJsonAnswer(result, 503);
    expect(body(result)).toEqual({
      message: "This region cannot publish right now",
      reason: "NotFoundException",
      service: SERVICE,
      stack: STACK,
      region: REGION,
      topic: "fanout-primary-topic",
    });
  });

  it("makes one call for a flood of checks within the cache period, and another after it", async () => {
    await Promise.all(Array.from({ length: 50 }, () => invoke(healthEvent())));
    expect(sns.commandCalls(GetTopicAttributesCommand)).toHaveLength(1);
    jest.setSystemTime(NOW + 5_001);
    await invoke(healthEvent());
    expect(sns.commandCalls(GetTopicAttributesCommand)).toHaveLength(2);
  });
});

describe("GET /health", () => {
  it("answers the service, stack, region and topic name from the environment", async () => {
    const result = await invoke(apiEvent({ method: "GET", path: "/health" }));

    expectJsonAnswer(result, 200);
    expect(body(result)).toEqual({
      service: SERVICE,
      stack: STACK,
      region: REGION,
      topic: "fanout-primary-topic",
    });
    // Health reads the topic (whether the region can publish) and publishes nothing.
    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
    expect(sns.calls()).toHaveLength(sns.commandCalls(GetTopicAttributesCommand).length);
  });

  it("does not need a body, a content type or a Lambda context", async () => {
    const event = apiEvent({ method: "GET", path: "/health", headers: { Accept: undefined } });
    event.headers = {};
    event.multiValueHeaders = {};
    const result = await handler(event, undefined as never);
    expectJsonAnswer(result, 200);
  });
});

describe("SNS failures answer 502 and are logged", () => {
  it.each([
    [
      "throttling",
      new ThrottledException({ message: "Rate exceeded", $metadata: { httpStatusCode: 400 } }),
      true,
    ],
    ["a network failure", Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }), true],
    [
      "authorization",
      new AuthorizationErrorException({ message: "denied", $metadata: { httpStatusCode: 403 } }),
      false,
    ],
    [
      "a missing topic",
      new NotFoundException({
        message: "Topic does not exist",
        $metadata: { httpStatusCode: 404 },
      }),
      false,
    ],
    [
      "a disabled KMS key",
      new KMSDisabledException({ message: "key disabled", $metadata: { httpStatusCode: 400 } }),
      false,
    ],
  ])("%s => retryable %p", async (_what, error, retryable) => {
    sns.on(PublishCommand).rejects(error);

    const result = await invoke(publishEvent({ a: 1 }));

    expectJsonAnswer(result, 502);
    expect(body(result)).toEqual({
      message: expect.any(String),
      requestId: API_REQUEST_ID,
      retryable,
    });
    expect(result.body).not.toContain(error.message);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(1);
    expect(errorLogs()).toEqual([
      expect.objectContaining({
        message: "SNS publish failed",
        retryable,
        api_request_id: API_REQUEST_ID,
        function_request_id: LAMBDA_REQUEST_ID,
        topic_arn: TOPIC_ARN,
        error: expect.objectContaining({ message: error.message }),
      }),
    ]);
  });

  it("aborts the publish before the Lambda deadline and answers 502 retryable", async () => {
    let signal: AbortSignal | undefined;
    // A publish that never answers; like the SDK, it rejects with AbortError once aborted.
    const send = jest.spyOn(SNSClient.prototype, "send").mockImplementation(((
      _command: unknown,
      options?: { abortSignal?: AbortSignal },
    ) => {
      signal = options?.abortSignal;
      return new Promise((_resolve, reject) => {
        signal?.addEventListener("abort", () =>
          reject(Object.assign(new Error("Request aborted"), { name: "AbortError" })),
        );
      });
    }) as never);

    const pending = handler(publishEvent({ a: 1 }), lambdaContext(3_000));
    await jest.advanceTimersByTimeAsync(1_999);
    expect(signal?.aborted).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    const result = await pending;

    expect(send).toHaveBeenCalledTimes(1);
    expectJsonAnswer(result, 502);
    expect(body(result)).toMatchObject({ retryable: true });
  });
});

describe("configuration", () => {
  it.each([ENV_TOPIC_ARN, ENV_STACK, ENV_SERVICE_NAME, "AWS_REGION"])(
    "answers 500 and logs which variable is missing: %s",
    async (name) => {
      restoreEnv();
      restoreEnv = setFunctionEnv({ [name]: undefined });

      for (const event of [publishEvent({ a: 1 }), apiEvent({ method: "GET", path: "/health" })]) {
        const result = await invoke(event);
        expectJsonAnswer(result, 500);
        expect(body(result)).toEqual({
          message: "Service is misconfigured",
          requestId: API_REQUEST_ID,
        });
        expect(result.body).not.toContain(name);
      }
      expect(sns.calls()).toHaveLength(0);
      expect(errorLogs()).toContainEqual(
        expect.objectContaining({
          message: "Function is misconfigured",
          problems: [`${name} is not set`],
          api_request_id: API_REQUEST_ID,
        }),
      );
    },
  );
});

describe("unexpected errors", () => {
  it("answer 500 JSON without internal detail and are logged", async () => {
    sns.on(PublishCommand).resolves({ MessageId: MESSAGE_ID });
    const event = publishEvent({ a: 1 });
    // A getter that throws stands for any bug below the handler.
    Object.defineProperty(event, "httpMethod", {
      get: () => {
        throw new Error("internal detail: secret-value");
      },
    });

    const result = await invoke(event);

    expectJsonAnswer(result, 500);
    expect(body(result)).toEqual({ message: "Internal error", requestId: API_REQUEST_ID });
    expect(result.body).not.toContain("secret-value");
    expect(sns.calls()).toHaveLength(0);
    expect(errorLogs()).toEqual([
      expect.objectContaining({
        message: "Unexpected error while handling the request",
        api_request_id: API_REQUEST_ID,
        error: expect.objectContaining({ message: "internal detail: secret-value" }),
      }),
    ]);
  });
});
