import { envelopeBytes, QUEUE_MAX_MESSAGE_BYTES } from "../../shared/sns-envelope";
import { IDEMPOTENCY_ATTRIBUTE } from "../../shared/idempotency-key";
import {
  ATTRIBUTES_FIELD,
  attributeNameProblem,
  isSqsSafeText,
  parseAttributes,
} from "../attributes";
import {
  MAX_MESSAGE_BYTES,
  MAX_NESTING_DEPTH,
  nestingDepth,
  contentTypeProblem,
  decodeBody,
  parsePublishRequest,
  publishSize,
  resolveRoute,
} from "../request";
import { apiEvent, publishEvent } from "./factories";
import fc from "fast-check";
import { parseRecord } from "../../consumer/latency";
import { snsEnvelope } from "../../consumer/__tests__/factories";
import { DEFAULT_MAX_CLOCK_SKEW_MS, MIN_RECORDED_AT_MS } from "../../shared/recorded-at";

/** SQS attributes of a record sent and first received at `at`. */
const sqsAttributes = (at: number) => ({
  ApproximateReceiveCount: "1",
  SentTimestamp: String(at),
  SenderId: "AIDAEXAMPLE",
  ApproximateFirstReceiveTimestamp: String(at),
});

const NOW = 1_740_830_400_123;

describe("resolveRoute", () => {
  it.each([
    ["POST", "/messages", "publish"],
    ["GET", "/health", "health"],
    ["post", "/messages", "publish"],
    ["GET", "/health/", "health"],
  ])("routes %s %s to %s", (method, path, route) => {
    expect(resolveRoute({ httpMethod: method, path, resource: path })).toEqual({ ok: true, route });
  });

  it("routes on the resource template, not a custom domain's base path", () => {
    expect(
      resolveRoute({ httpMethod: "POST", path: "/v1/messages", resource: "/messages" }),
    ).toEqual({ ok: true, route: "publish" });
  });

  it("routes on the concrete path behind a proxy resource", () => {
    expect(resolveRoute({ httpMethod: "GET", path: "/health", resource: "/{proxy+}" })).toEqual({
      ok: true,
      route: "health",
    });
  });

  it.each(["/", "/message", "/messages/extra", "/HEALTH", "/__proto__", "/constructor", ""])(
    "answers 404 for %j",
    (path) => {
      expect(resolveRoute({ httpMethod: "GET", path, resource: path })).toMatchObject({
        ok: false,
        status: 404,
      });
    },
  );

  it.each([
    ["GET", "/messages", "POST"],
    ["PUT", "/messages", "POST"],
    ["OPTIONS", "/messages", "POST"],
    ["POST", "/health", "GET"],
    ["HEAD", "/health", "GET"],
  ])("answers 405 for %s %s, allowing %s", (method, path, allow) => {
    expect(resolveRoute({ httpMethod: method, path, resource: path })).toMatchObject({
      ok: false,
      status: 405,
      allow,
    });
  });
});

describe("contentTypeProblem", () => {
  it.each([
    "application/json",
    "Application/JSON",
    "application/json; charset=utf-8",
    "application/json;charset=UTF-8",
    'application/json; charset="utf-8"',
    "application/vnd.api+json",
    "application/cloudevents+json; charset=utf-8",
  ])("accepts %j", (value) => {
    expect(contentTypeProblem(value)).toBeUndefined();
  });

  it.each([
    undefined,
    "",
    "  ",
    "text/plain",
    "application/x-www-form-urlencoded",
    "application/jsonp",
    "text/json",
    "application/+json",
    "application/json; charset=iso-8859-1",
    "multipart/form-data; boundary=x",
  ])("refuses %j", (value) => {
    expect(contentTypeProblem(value)).toEqual(expect.stringContaining("Content-Type"));
  });
});

describe("decodeBody", () => {
  it("decodes base64 bodies", () => {
    const text = '{"a":"é"}';
    expect(decodeBody(Buffer.from(text).toString("base64"), true)).toEqual({ ok: true, text });
  });

  it("drops a UTF-8 byte order mark", () => {
    const withBom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from("{}")]);
    expect(decodeBody(withBom.toString("base64"), true)).toEqual({ ok: true, text: "{}" });
    expect(decodeBody("\uFEFF{}", false)).toEqual({ ok: true, text: "{}" });
  });

  it.each([
    ["missing", null, false],
    ["empty", "", false],
    ["not base64", "{not base64}", true],
    ["not UTF-8", Buffer.from([0x7b, 0xff, 0x7d]).toString("base64"), true],
  ])("refuses a %s body with 400", (_what, body, base64) => {
    expect(decodeBody(body, base64)).toMatchObject({ ok: false, status: 400 });
  });
});

describe("parseAttributes", () => {
  it("maps strings, numbers and arrays to String, Number and String.Array", () => {
    expect(
      parseAttributes(
        { kind: "order", priority: 2, ratio: -0.5, tags: ["a", 1, true, null] },
        undefined,
      ),
    ).toEqual({
      ok: true,
      attributes: {
        kind: { DataType: "String", StringValue: "order" },
        priority: { DataType: "Number", StringValue: "2" },
        ratio: { DataType: "Number", StringValue: "-0.5" },
        tags: { DataType: "String.Array", StringValue: '["a",1,true,null]' },
      },
    });
  });

  it("adds the idempotency key as a String attribute", () => {
    expect(parseAttributes(undefined, "key-1")).toEqual({
      ok: true,
      attributes: { [IDEMPOTENCY_ATTRIBUTE]: { DataType: "String", StringValue: "key-1" } },
    });
  });

  it("keeps a name like __proto__ as a plain attribute", () => {
    const raw = JSON.parse('{"__proto__":"x"}') as unknown;
    const result = parseAttributes(raw, undefined);
    expect(result.ok && Object.keys(result.attributes)).toEqual(["__proto__"]);
  });

  it("accepts exactly 10 attributes, the idempotency key included", () => {
    const nine = Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`a${i}`, "v"]));
    expect(parseAttributes(nine, "k")).toMatchObject({ ok: true });
    expect(parseAttributes({ ...nine, a9: "v" }, "k")).toMatchObject({
      ok: false,
      message: expect.stringContaining("too many message attributes: 11"),
    });
  });

  it.each([
    ["an array", ["a"]],
    ["null", null],
    ["a string", "kind=order"],
  ])("refuses %s as the attributes field", (_what, raw) => {
    expect(parseAttributes(raw, undefined)).toMatchObject({
      ok: false,
      message: expect.stringContaining(ATTRIBUTES_FIELD),
    });
  });

  it.each([
    ["an empty string", ""],
    ["a boolean", true],
    ["null", null],
    ["an object", { DataType: "String" }],
    ["a number in exponent notation", 1e21],
    ["a nested array", [["a"]]],
    ["a string SQS refuses", "bell\u0007"],
  ])("refuses %s as a value", (_what, value) => {
    expect(parseAttributes({ name: value }, undefined)).toMatchObject({ ok: false });
  });
});

describe("attributeNameProblem", () => {
  it.each(["a", "event_type", "Event-Type.v2", "x".repeat(256)])("accepts %j", (name) => {
    expect(attributeNameProblem(name)).toBeUndefined();
  });

  it.each([
    "",
    "x".repeat(257),
    "has space",
    "ümlaut",
    "a/b",
    ".leading",
    "trailing.",
    "double..dot",
    "AWS.thing",
    "aws.thing",
    "Amazon.thing",
    "AMAZON.thing",
    IDEMPOTENCY_ATTRIBUTE,
  ])("refuses %j", (name) => {
    expect(attributeNameProblem(name)).toEqual(expect.any(String));
  });
});

describe("isSqsSafeText", () => {
  it("accepts tabs, newlines and astral characters, refuses control characters", () => {
    expect(isSqsSafeText("a\tb\nc\r😀")).toBe(true);
    expect(isSqsSafeText("\u0000")).toBe(false);
    expect(isSqsSafeText("\uFFFE")).toBe(false);
    expect(isSqsSafeText("\uD800")).toBe(false);
  });
});

describe("parsePublishRequest: recorded_at follows the consumers' rule", () => {
  it.each([
    [0, "is before 2000-01-01"],
    [1.5, "is before 2000-01-01"],
    [Math.floor(NOW / 1000), "is before 2000-01-01"], // epoch seconds
    [1e308, "ms after the API's clock"],
    [NOW + 86_400_000, "ms after the API's clock"], // a day ahead
    ["1700000000000", "is a string"],
  ])(
    "answers 400 to recorded_at %p, naming the field, the value and the allowed range",
    (value, why) => {
      const result = parsePublishRequest(publishEvent({ recorded_at: value }), NOW);
      expect(result).toMatchObject({ ok: false, status: 400 });
      const message = result.ok ? "" : result.message;
      expect(message).toContain(`"recorded_at" ${JSON.stringify(value)}`);
      expect(message).toContain(why);
      expect(message).toContain(
        `allowed: a number of epoch milliseconds from ${MIN_RECORDED_AT_MS} (2000-01-01) to ${NOW + 60_000}`,
      );
    },
  );

  it("accepts only what the consumer's parser accepts, whatever the value", () => {
    const valueArb = fc.oneof(
      fc.double(),
      fc.integer({ min: -1e13, max: 1e13 }),
      fc.integer({ min: MIN_RECORDED_AT_MS - 10, max: NOW + 120_000 }),
      fc.constantFrom(0, 946_684_800_000, NOW, NOW + 60_000, NOW + 60_001),
    );
    fc.assert(
      fc.property(valueArb, fc.integer({ min: 0, max: 5_000 }), (value, delayMs) => {
        const api = parsePublishRequest(publishEvent({ recorded_at: value }), NOW);
        if (!api.ok) return;
        // The consumer starts after the API accepted the message, with the real envelope.
        const at = NOW + delayMs;
        const body = JSON.stringify(
          snsEnvelope({ message: api.message, timestamp: new Date(at).toISOString() }),
        );
        const parsed = parseRecord(
          { body, attributes: sqsAttributes(at) },
          { startedAt: at, maxClockSkewMs: DEFAULT_MAX_CLOCK_SKEW_MS },
        );
        expect(parsed.ok).toBe(true);
      }),
    );
  });
});

describe("parsePublishRequest: nesting", () => {
  const nested = (depth: number): unknown => {
    let value: unknown = 1;
    for (let i = 0; i < depth; i += 1) value = i % 2 === 0 ? { a: value } : [value];
    return value;
  };

  it("accepts a body nested up to the limit and answers 400 beyond it", () => {
    expect(nestingDepth({ a: nested(MAX_NESTING_DEPTH - 1) })).toBe(MAX_NESTING_DEPTH);
    expect(parsePublishRequest(publishEvent({ a: nested(MAX_NESTING_DEPTH - 1) }), NOW).ok).toBe(
      true,
    );
    expect(parsePublishRequest(publishEvent({ a: nested(MAX_NESTING_DEPTH) }), NOW)).toEqual({
      ok: false,
      status: 400,
      message: `Request body is nested more than ${MAX_NESTING_DEPTH} levels deep`,
    });
  });

  it("answers 400, not a thrown error, to a body nested thousands deep", () => {
    const text = `{"a":${"[".repeat(20_000)}1${"]".repeat(20_000)}}`;
    const result = parsePublishRequest({ ...publishEvent({}), body: text }, NOW);
    expect(result).toMatchObject({ ok: false, status: 400 });
  });
});

describe("parsePublishRequest", () => {
  it("stamps recorded_at with the given clock when absent and strips the attributes field", () => {
    const result = parsePublishRequest(
      publishEvent({ order_id: 7, [ATTRIBUTES_FIELD]: { kind: "order" } }),
      NOW,
    );
    expect(result).toEqual({
      ok: true,
      message: JSON.stringify({ order_id: 7, recorded_at: NOW }),
      attributes: { kind: { DataType: "String", StringValue: "order" } },
      recordedAt: NOW,
      size: expect.any(Number),
    });
  });

  it.each([1_700_000_000_000, 1_700_000_000_000.5, NOW + 60_000])(
    "keeps recorded_at %p when given",
    (recordedAt) => {
      const result = parsePublishRequest(publishEvent({ recorded_at: recordedAt, a: 1 }), NOW);
      expect(result).toMatchObject({ ok: true, recordedAt });
      expect(result.ok && JSON.parse(result.message)).toEqual({ recorded_at: recordedAt, a: 1 });
    },
  );

  it.each([
    ["a string", '{"recorded_at":"1700000000000"}'],
    ["null", '{"recorded_at":null}'],
    ["negative", '{"recorded_at":-1}'],
    ["infinite (1e999)", '{"recorded_at":1e999}'],
    ["an object", '{"recorded_at":{"ms":1}}'],
    ["a boolean", '{"recorded_at":true}'],
  ])("refuses recorded_at when it is %s", (_what, body) => {
    expect(parsePublishRequest(apiEvent({ body }), NOW)).toMatchObject({
      ok: false,
      status: 400,
      message: expect.stringContaining("recorded_at"),
    });
  });

  it.each([
    ["an array", "[1,2]"],
    ["null", "null"],
    ["a number", "42"],
    ["a string", '"hello"'],
    ["not JSON", "{nope"],
    ["truncated JSON", '{"a":'],
  ])("refuses a body that is %s with 400", (_what, body) => {
    expect(parsePublishRequest(apiEvent({ body }), NOW)).toMatchObject({ ok: false, status: 400 });
  });

  it("reads the content type case-insensitively and refuses it when sent twice", () => {
    const lower = apiEvent({
      headers: { "Content-Type": undefined, "content-type": "application/json" },
    });
    expect(parsePublishRequest(lower, NOW)).toMatchObject({ ok: true });

    const twice = apiEvent();
    twice.multiValueHeaders["Content-Type"] = ["application/json", "text/plain"];
    expect(parsePublishRequest(twice, NOW)).toMatchObject({ ok: false, status: 415 });
  });

  it("checks the content type before the body", () => {
    const event = apiEvent({ body: "not json", headers: { "Content-Type": "text/plain" } });
    expect(parsePublishRequest(event, NOW)).toMatchObject({ ok: false, status: 415 });
  });

  it.each([
    ["empty", ""],
    ["with a space", "a b"],
    ["non-ASCII", "clé"],
    ["too long", "k".repeat(257)],
  ])("refuses an Idempotency-Key that is %s", (_what, key) => {
    const event = publishEvent({}, { headers: { "Idempotency-Key": key } });
    expect(parsePublishRequest(event, NOW)).toMatchObject({ ok: false, status: 400 });
  });

  it("publishes the Idempotency-Key header as an attribute, whatever the header's case", () => {
    const event = publishEvent({}, { headers: { "idempotency-key": "order-7" } });
    expect(parsePublishRequest(event, NOW)).toMatchObject({
      ok: true,
      attributes: { [IDEMPOTENCY_ATTRIBUTE]: { DataType: "String", StringValue: "order-7" } },
    });
  });

  it("escapes U+FFFE and U+FFFF so every queue accepts the message, value unchanged", () => {
    const result = parsePublishRequest(publishEvent({ text: "a\uFFFEb\uFFFF" }), NOW);
    expect(result.ok && result.message).toContain("a\\ufffeb\\uffff");
    expect(result.ok && isSqsSafeText(result.message)).toBe(true);
    expect(result.ok && JSON.parse(result.message).text).toBe("a\uFFFEb\uFFFF");
  });

  describe("size limit", () => {
    // {"data":"<fill>","recorded_at":1740830400123} is 45 bytes plus the fill.
    const overhead = JSON.stringify({ data: "", recorded_at: NOW }).length;

    // The queues receive SNS's envelope: a plain message fits while the envelope does.
    const base = JSON.stringify({ data: "", recorded_at: NOW });
    const largestFill = QUEUE_MAX_MESSAGE_BYTES - envelopeBytes(base, {});

    it("accepts the largest plain message whose SNS envelope fits the queues", () => {
      const event = publishEvent({ data: "x".repeat(largestFill) });
      expect(parsePublishRequest(event, NOW)).toMatchObject({
        ok: true,
        size: base.length + largestFill,
      });
    });

    it("refuses one byte more with 413", () => {
      const event = publishEvent({ data: "x".repeat(largestFill + 1) });
      expect(parsePublishRequest(event, NOW)).toMatchObject({ ok: false, status: 413 });
    });

    it("counts the stamped recorded_at: a body that fits alone can be too large once stamped", () => {
      const body = JSON.stringify({ data: "x".repeat(MAX_MESSAGE_BYTES - 11) });
      expect(Buffer.byteLength(body)).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
      expect(parsePublishRequest(apiEvent({ body }), NOW)).toMatchObject({ status: 413 });
    });

    it("counts UTF-8 bytes, not characters", () => {
      // "é" is 2 bytes in UTF-8.
      const chars = Math.floor((MAX_MESSAGE_BYTES - overhead) / 2) + 1;
      const event = publishEvent({ data: "é".repeat(chars) });
      expect(parsePublishRequest(event, NOW)).toMatchObject({ ok: false, status: 413 });
    });

    it("counts attribute names, data types and values", () => {
      const attribute = { kind: { DataType: "String", StringValue: "order" } };
      const fill = "x".repeat(QUEUE_MAX_MESSAGE_BYTES - envelopeBytes(base, attribute));
      const fits = publishEvent({ data: fill, [ATTRIBUTES_FIELD]: { kind: "order" } });
      expect(parsePublishRequest(fits, NOW)).toMatchObject({ ok: true });
      const over = publishEvent({ data: `${fill}x`, [ATTRIBUTES_FIELD]: { kind: "order" } });
      expect(parsePublishRequest(over, NOW)).toMatchObject({ ok: false, status: 413 });
    });

    it("does not count insignificant whitespace of the request body", () => {
      const body = `{"data":"${"x".repeat(largestFill)}"${" ".repeat(1000)}}`;
      expect(parsePublishRequest(apiEvent({ body }), NOW)).toMatchObject({ ok: true });
    });
  });

  it("publishSize adds the message and attribute bytes", () => {
    expect(publishSize("{}", { n: { DataType: "Number", StringValue: "12" } })).toBe(2 + 1 + 6 + 2);
  });
});
