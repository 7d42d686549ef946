import "./init-env";
import {
  GetTopicAttributesCommand,
  PublishCommand,
  SNSClient,
  ThrottledException,
} from "@aws-sdk/client-sns";
import type { APIGatewayProxyEvent } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import fc from "fast-check";
import { handler } from "../index";
import { MAX_MESSAGE_BYTES } from "../request";
import { apiEvent, captureLogs, lambdaContext, setFunctionEnv } from "./factories";

const sns = mockClient(SNSClient);
const ANSWERED = [200, 202, 400, 403, 404, 405, 413, 415, 500, 502];

let restoreEnv: () => void;

beforeEach(() => {
  restoreEnv = setFunctionEnv();
  captureLogs();
});

afterEach(() => {
  jest.restoreAllMocks();
  restoreEnv();
});

const methodArb = fc.oneof(
  fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "post"),
  fc.string({ maxLength: 10 }),
);

const pathArb = fc.oneof(
  fc.constantFrom("/messages", "/health", "/messages/", "/", "", "/messages/1", "/__proto__"),
  fc.string({ maxLength: 30 }),
);

const contentTypeArb = fc.option(
  fc.oneof(
    fc.constantFrom(
      "application/json",
      "Application/JSON; charset=UTF-8",
      "application/vnd.x+json",
      "application/json; charset=latin1",
      "text/plain",
      "",
    ),
    fc.string({ maxLength: 40 }),
  ),
  { nil: undefined },
);

/** Values for recorded_at: absent (most often), valid or anything else. */
const recordedAtArb: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fc.constant(undefined), weight: 3 },
  { arbitrary: fc.nat(), weight: 2 },
  {
    arbitrary: fc.oneof(
      fc.double(),
      fc.string({ maxLength: 5 }),
      fc.constant(null),
      fc.jsonValue(),
    ),
    weight: 1,
  },
);

/** `_attributes` fields: absent (most often), valid, or anything else. */
const attributesArb: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fc.constant(undefined), weight: 3 },
  {
    arbitrary: fc.dictionary(
      fc.stringMatching(/^[A-Za-z0-9_-]{1,20}$/),
      fc.oneof(fc.string({ minLength: 1 }), fc.integer(), fc.array(fc.string(), { maxLength: 3 })),
      { maxKeys: 5 },
    ),
    weight: 2,
  },
  {
    arbitrary: fc.oneof(
      fc.dictionary(
        fc.oneof(fc.constantFrom("kind", "AWS.x", "a..b", "idempotency_key"), fc.string()),
        fc.oneof(
          fc.string(),
          fc.double(),
          fc.array(fc.jsonValue(), { maxLength: 3 }),
          fc.boolean(),
        ),
        { maxKeys: 12 },
      ),
      fc.jsonValue(),
    ),
    weight: 1,
  },
);

/** Objects shaped like real messages, some of them near or past the size limit. */
const messageObjectArb = fc
  .record({
    payload: fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 2 })),
    recordedAt: recordedAtArb,
    attributes: attributesArb,
    fill: fc.oneof(
      { arbitrary: fc.constant(undefined), weight: 4 },
      {
        arbitrary: fc.integer({ min: MAX_MESSAGE_BYTES - 200, max: MAX_MESSAGE_BYTES + 50 }),
        weight: 1,
      },
    ),
  })
  .map(({ payload, recordedAt, attributes, fill }) => {
    const body: Record<string, unknown> = { ...payload };
    if (recordedAt !== undefined) body.recorded_at = recordedAt;
    if (attributes !== undefined) body._attributes = attributes;
    if (fill !== undefined) body.fill = "x".repeat(fill);
    return JSON.stringify(body);
  });

const bodyArb: fc.Arbitrary<string | null> = fc.oneof(
  fc.constant(null),
  fc.string(),
  fc.string({ unit: "binary" }),
  fc.json(),
  messageObjectArb,
  fc
    .integer({ min: MAX_MESSAGE_BYTES - 100, max: MAX_MESSAGE_BYTES + 100 })
    .map((n) => "x".repeat(n)),
);

interface EventParts {
  readonly method: string;
  readonly path: string;
  readonly resource: string | undefined;
  readonly body: string | null;
  readonly encoding: "plain" | "base64" | "bogus-base64";
  readonly contentType: string | undefined;
  readonly idempotencyKey: string | undefined;
  readonly extraHeaders: Record<string, string>;
}

function toEvent(parts: EventParts): APIGatewayProxyEvent {
  const { body, encoding } = parts;
  return apiEvent({
    method: parts.method,
    path: parts.path,
    resource: parts.resource,
    body: encoding === "base64" && body !== null ? Buffer.from(body).toString("base64") : body,
    isBase64Encoded: encoding !== "plain",
    headers: {
      ...parts.extraHeaders,
      "Content-Type": parts.contentType,
      "Idempotency-Key": parts.idempotencyKey,
    },
  });
}

const extraHeadersArb = fc.dictionary(fc.string({ maxLength: 15 }), fc.string({ maxLength: 30 }), {
  maxKeys: 5,
});

/** Anything at all: any method, path, headers and body. */
const anyEventArb: fc.Arbitrary<APIGatewayProxyEvent> = fc
  .record({
    method: methodArb,
    path: pathArb,
    resource: fc.option(fc.oneof(fc.constant("/{proxy+}"), pathArb), { nil: undefined }),
    body: bodyArb,
    encoding: fc.constantFrom("plain", "base64", "bogus-base64"),
    contentType: contentTypeArb,
    idempotencyKey: fc.option(fc.string({ maxLength: 20 }), { nil: undefined }),
    extraHeaders: extraHeadersArb,
  })
  .map(toEvent);

/** POST /messages, mostly with a JSON content type, so the body checks are reached. */
const publishEventArb: fc.Arbitrary<APIGatewayProxyEvent> = fc
  .record({
    method: fc.constant("POST"),
    path: fc.constant("/messages"),
    resource: fc.constant(undefined),
    body: fc.oneof({ arbitrary: messageObjectArb, weight: 3 }, { arbitrary: bodyArb, weight: 1 }),
    encoding: fc.constantFrom<EventParts["encoding"]>("plain", "plain", "plain", "base64"),
    contentType: fc.oneof(
      { arbitrary: fc.constant("application/json"), weight: 4 },
      { arbitrary: contentTypeArb, weight: 1 },
    ),
    idempotencyKey: fc.option(fc.oneof(fc.uuid(), fc.string({ maxLength: 20 })), {
      nil: undefined,
    }),
    extraHeaders: extraHeadersArb,
  })
  .map(toEvent);

const eventArb = fc.oneof(
  { arbitrary: anyEventArb, weight: 1 },
  { arbitrary: publishEventArb, weight: 3 },
);

describe("handler, for any request", () => {
  it("answers JSON with a known status, never throws, and publishes once exactly when 202", async () => {
    await fc.assert(
      fc.asyncProperty(eventArb, async (event) => {
        sns.reset();
        sns.on(PublishCommand).resolves({ MessageId: "m-1" });

        const result = await handler(event, lambdaContext());

        expect(ANSWERED).toContain(result.statusCode);
        expect(result.headers?.["Content-Type"]).toBe("application/json");
        const answer = JSON.parse(result.body) as Record<string, unknown>;
        const calls = sns.commandCalls(PublishCommand);
        if (result.statusCode === 202) {
          expect(calls).toHaveLength(1);
          const input = calls[0].args[0].input;
          const published = JSON.parse(input.Message ?? "") as Record<string, unknown>;
          expect(published.recorded_at).toBe(answer.recorded_at);
          expect(Buffer.byteLength(input.Message ?? "")).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
          expect(Object.keys(input.MessageAttributes ?? {}).length).toBeLessThanOrEqual(10);
        } else {
          // Nothing published; at most the health check's read of the topic.
          expect(calls).toHaveLength(0);
          expect(sns.calls().every((c) => c.args[0] instanceof GetTopicAttributesCommand)).toBe(
            true,
          );
        }
        if (result.statusCode >= 400) expect(answer.message).toEqual(expect.any(String));
      }),
      { numRuns: 300 },
    );
  });

  it("answers 502 after exactly one attempt when SNS fails, whatever it throws", async () => {
    const failureArb = fc.oneof(
      fc.constant(new ThrottledException({ message: "slow down", $metadata: {} })),
      fc.string().map((m) => new Error(m)),
      fc.anything(),
    );
    await fc.assert(
      fc.asyncProperty(eventArb, failureArb, async (event, failure) => {
        sns.reset();
        sns.on(PublishCommand).callsFake(() => Promise.reject(failure));

        const result = await handler(event, lambdaContext());

        expect(ANSWERED).toContain(result.statusCode);
        expect(result.statusCode).not.toBe(202);
        const answer = JSON.parse(result.body) as Record<string, unknown>;
        const calls = sns.commandCalls(PublishCommand).length;
        if (result.statusCode === 502) {
          expect(calls).toBe(1);
          expect(typeof answer.retryable).toBe("boolean");
        } else {
          expect(calls).toBe(0);
        }
      }),
      { numRuns: 200 },
    );
  });

  it("publishes valid messages, with any payload object", async () => {
    const payloadArb = fc.dictionary(
      fc.string().filter((k) => k !== "_attributes" && k !== "recorded_at"),
      fc.jsonValue(),
    );
    await fc.assert(
      fc.asyncProperty(payloadArb, async (payload) => {
        sns.reset();
        sns.on(PublishCommand).resolves({ MessageId: "m-1" });

        const result = await handler(apiEvent({ body: JSON.stringify(payload) }), lambdaContext());

        expect(result.statusCode).toBe(202);
        const input = sns.commandCalls(PublishCommand)[0].args[0].input;
        const { recorded_at: recordedAt, ...rest } = JSON.parse(input.Message ?? "") as Record<
          string,
          unknown
        >;
        expect(typeof recordedAt).toBe("number");
        expect(rest).toEqual(JSON.parse(JSON.stringify(payload)));
      }),
      { numRuns: 200 },
    );
  });
});
