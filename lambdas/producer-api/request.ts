import { envelopeBytes, QUEUE_MAX_MESSAGE_BYTES } from "../shared/sns-envelope";
import type { APIGatewayProxyEvent } from "aws-lambda";
import {
  ATTRIBUTES_FIELD,
  IDEMPOTENCY_HEADER,
  attributesSize,
  escapeNoncharacters,
  idempotencyKeyProblem,
  parseAttributes,
  type SnsAttributes,
} from "./attributes";
import {
  DEFAULT_MAX_CLOCK_SKEW_MS,
  RECORDED_AT_FIELD,
  recordedAtProblem,
  recordedAtRange,
} from "../shared/recorded-at";
import type { FifoTopic } from "./env";
import { fifoPublish, MESSAGE_GROUP_FIELD } from "./fifo";
import { ROUTES, type RouteName, type RoutePath } from "./routes";

export { RECORDED_AT_FIELD };

/** Largest message SNS accepts: 256 KiB, message body and attributes together. */
export const MAX_MESSAGE_BYTES = 262_144;

/**
 * Deepest nesting of arrays and objects a body may have. Far beyond any real message; a body
 * nested thousands deep (a few KB) would otherwise make serialization overflow the stack and
 * answer 5xx for the caller's mistake.
 */
export const MAX_NESTING_DEPTH = 64;

/** Nesting depth of a parsed JSON value (a scalar is 0), counted without recursion. */
export function nestingDepth(value: unknown, limit = Infinity): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop() as [unknown, number];
    if (typeof item !== "object" || item === null) continue;
    const here = depth + 1;
    if (here > deepest) deepest = here;
    if (deepest > limit) return deepest;
    for (const child of Object.values(item)) stack.push([child, here]);
  }
  return deepest;
}

export type RouteResult =
  | { readonly ok: true; readonly route: RouteName }
  | { readonly ok: false; readonly status: 404; readonly message: string }
  | { readonly ok: false; readonly status: 405; readonly message: string; readonly allow: string };

export type PublishRequestResult =
  | {
      readonly ok: true;
      /** The exact text to publish: the body without the attributes field, `recorded_at` set. */
      readonly message: string;
      readonly attributes: SnsAttributes;
      readonly recordedAt: number;
      /** `MessageGroupId` of the publish: only to a FIFO topic. */
      readonly messageGroupId?: string;
      /** `MessageDeduplicationId`: to a FIFO topic, unless it deduplicates by content. */
      readonly deduplicationId?: string;
      /** Bytes SNS counts for this publish, see {@link publishSize}. */
      readonly size: number;
    }
  | { readonly ok: false; readonly status: 400 | 413 | 415; readonly message: string };

type Failure = { readonly ok: false; readonly status: 400 | 413 | 415; readonly message: string };

const fail = (status: 400 | 413 | 415, message: string): Failure => ({
  ok: false,
  status,
  message,
});

/**
 * The path to route on. `resource` is the API Gateway resource template (`/messages`) and does
 * not carry a custom domain's base path, so it wins unless it is a proxy template (`/{proxy+}`);
 * then the concrete `path` is used. A trailing slash is ignored.
 */
export function routePath(event: Pick<APIGatewayProxyEvent, "resource" | "path">): string {
  const resource = typeof event.resource === "string" ? event.resource : "";
  const raw = resource !== "" && !resource.includes("{") ? resource : event.path;
  const path = typeof raw === "string" ? raw : "";
  return path.length > 1 ? path.replace(/\/+$/, "") || "/" : path;
}

/** Which route serves the request, or the 404/405 answer. Pure. */
export function resolveRoute(
  event: Pick<APIGatewayProxyEvent, "resource" | "path" | "httpMethod">,
): RouteResult {
  const path = routePath(event);
  const route = Object.prototype.hasOwnProperty.call(ROUTES, path)
    ? ROUTES[path as RoutePath]
    : undefined;
  if (route === undefined) {
    return { ok: false, status: 404, message: "No such route: use POST /messages or GET /health" };
  }
  const method = typeof event.httpMethod === "string" ? event.httpMethod.toUpperCase() : "";
  if (method !== route.method) {
    return {
      ok: false,
      status: 405,
      message: `Method not allowed on ${path}: use ${route.method}`,
      allow: route.method,
    };
  }
  return { ok: true, route: route.name };
}

/**
 * Every value sent for header `name` (case-insensitive), distinct, in order. Reads
 * `multiValueHeaders` (all values) and `headers` (last value); either may be null.
 */
export function headerValues(
  event: Pick<APIGatewayProxyEvent, "headers" | "multiValueHeaders">,
  name: string,
): string[] {
  const wanted = name.toLowerCase();
  const values: string[] = [];
  const add = (v: unknown): void => {
    if (typeof v === "string" && !values.includes(v)) values.push(v);
  };
  for (const [key, list] of Object.entries(event.multiValueHeaders ?? {})) {
    if (key.toLowerCase() === wanted && Array.isArray(list)) list.forEach(add);
  }
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted) add(value);
  }
  return values;
}

const JSON_MEDIA_TYPE = /^application\/(?:json|[a-z0-9!#$&^_.-]+\+json)$/;

/**
 * Why `value` is not an acceptable JSON `Content-Type`, or `undefined` when it is:
 * `application/json` or `application/<anything>+json`, case-insensitive, parameters allowed but a
 * `charset` must be UTF-8.
 */
export function contentTypeProblem(value: string | undefined): string | undefined {
  const expected = "send Content-Type: application/json";
  if (value === undefined || value.trim() === "") return `Content-Type is missing: ${expected}`;
  const [mediaType, ...params] = value.split(";");
  if (!JSON_MEDIA_TYPE.test(mediaType.trim().toLowerCase())) {
    return `Content-Type ${JSON.stringify(value.slice(0, 100))} is not JSON: ${expected}`;
  }
  for (const param of params) {
    const eq = param.indexOf("=");
    const key = (eq < 0 ? param : param.slice(0, eq)).trim().toLowerCase();
    if (key !== "charset") continue;
    const charset = param
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/, "$1")
      .toLowerCase();
    if (charset !== "utf-8" && charset !== "utf8") {
      return `Content-Type charset must be utf-8, got ${JSON.stringify(charset.slice(0, 40))}`;
    }
  }
  return undefined;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** The body as text: base64 decoded when API Gateway says so, UTF-8 checked, BOM dropped. */
export function decodeBody(
  body: string | null,
  isBase64Encoded: boolean,
): { readonly ok: true; readonly text: string } | Failure {
  if (typeof body !== "string" || body === "") {
    return fail(400, "Request body is missing: send a JSON object");
  }
  let text = body;
  if (isBase64Encoded) {
    if (!BASE64.test(body)) return fail(400, "Request body is not valid base64");
    try {
      // ignoreBOM false (the default): a leading UTF-8 BOM is dropped.
      text = new TextDecoder("utf-8", { fatal: true }).decode(Buffer.from(body, "base64"));
    } catch {
      return fail(400, "Request body is not valid UTF-8");
    }
  } else if (text.startsWith("\uFEFF")) {
    text = text.slice(1);
  }
  return { ok: true, text };
}

/**
 * Bytes SNS counts for a publish: the UTF-8 bytes of the message plus, for each attribute, the
 * UTF-8 bytes of its name, data type and value. Must not exceed {@link MAX_MESSAGE_BYTES}.
 */
export function publishSize(message: string, attributes: SnsAttributes): number {
  return Buffer.byteLength(message, "utf8") + attributesSize(attributes);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Validates a `POST /messages` request and builds what to publish. Pure: `now` is the clock
 * (epoch ms) used to stamp `recorded_at` when the body has none. Checks in this order:
 * content type (415), idempotency key (400), body encoding and JSON object (400), message group
 * id and deduplication id (400: required on a FIFO topic, `fifo`, refused on a standard one),
 * `recorded_at` (400), attributes (400), size (413), size in the SNS envelope the queues
 * receive (413).
 */
export function parsePublishRequest(
  event: Pick<APIGatewayProxyEvent, "headers" | "multiValueHeaders" | "body" | "isBase64Encoded">,
  now: number,
  fifo?: FifoTopic,
): PublishRequestResult {
  const contentTypes = headerValues(event, "Content-Type");
  if (contentTypes.length > 1) return fail(415, "Content-Type must be sent once");
  const typeProblem = contentTypeProblem(contentTypes[0]);
  if (typeProblem !== undefined) return fail(415, typeProblem);

  const keys = headerValues(event, IDEMPOTENCY_HEADER);
  if (keys.length > 1) return fail(400, `${IDEMPOTENCY_HEADER} must be sent once`);
  const idempotencyKey = keys[0];
  if (idempotencyKey !== undefined) {
    const keyProblem = idempotencyKeyProblem(idempotencyKey);
    if (keyProblem !== undefined) return fail(400, keyProblem);
  }

  const decoded = decodeBody(event.body, event.isBase64Encoded === true);
  if (!decoded.ok) return decoded;
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoded.text);
  } catch {
    return fail(400, "Request body is not valid JSON");
  }
  if (!isPlainObject(parsed)) {
    const got = parsed === null ? "null" : Array.isArray(parsed) ? "an array" : typeof parsed;
    return fail(400, `Request body must be a JSON object, got ${got}`);
  }
  if (nestingDepth(parsed, MAX_NESTING_DEPTH) > MAX_NESTING_DEPTH) {
    return fail(400, `Request body is nested more than ${MAX_NESTING_DEPTH} levels deep`);
  }

  // Spread keeps every own field, "__proto__" included, as a plain data property.
  const {
    [ATTRIBUTES_FIELD]: rawAttributes,
    [MESSAGE_GROUP_FIELD]: messageGroup,
    ...payload
  } = parsed;
  const ids = fifoPublish(
    fifo,
    {
      present: Object.prototype.hasOwnProperty.call(parsed, MESSAGE_GROUP_FIELD),
      value: messageGroup,
    },
    idempotencyKey,
  );
  if (!ids.ok) return fail(400, ids.message);
  let recordedAt = now;
  if (Object.prototype.hasOwnProperty.call(payload, RECORDED_AT_FIELD)) {
    const given = payload[RECORDED_AT_FIELD];
    // The consumers' rule: what passes here passes in every queue of every region.
    const problem = recordedAtProblem(given, now, DEFAULT_MAX_CLOCK_SKEW_MS, "the API's clock");
    if (problem !== undefined) {
      return fail(
        400,
        `"${RECORDED_AT_FIELD}" ${JSON.stringify(given)?.slice(0, 40)} is not allowed (${problem.detail}); ` +
          `allowed: ${recordedAtRange(now)}, or leave it out to have the API stamp it`,
      );
    }
    recordedAt = given as number;
  } else {
    payload[RECORDED_AT_FIELD] = recordedAt;
  }

  const attributes = parseAttributes(rawAttributes, idempotencyKey);
  if (!attributes.ok) return fail(400, attributes.message);

  const message = escapeNoncharacters(JSON.stringify(payload));
  const size = publishSize(message, attributes.attributes);
  if (size > MAX_MESSAGE_BYTES) {
    return fail(
      413,
      `Message is ${size} bytes once recorded_at and the attributes are added; ` +
        `SNS accepts at most ${MAX_MESSAGE_BYTES}`,
    );
  }
  // What the queues receive is SNS's envelope around the message: it must fit them too.
  const delivered = envelopeBytes(message, attributes.attributes);
  if (delivered > QUEUE_MAX_MESSAGE_BYTES) {
    return fail(
      413,
      `Message is ${delivered} bytes in the SNS envelope the queues receive (quotes, backslashes ` +
        `and control characters are escaped again there); the queues accept at most ${QUEUE_MAX_MESSAGE_BYTES}`,
    );
  }
  return {
    ok: true,
    message,
    attributes: attributes.attributes,
    recordedAt,
    size,
    ...(ids.messageGroupId !== undefined && { messageGroupId: ids.messageGroupId }),
    ...(ids.deduplicationId !== undefined && { deduplicationId: ids.deduplicationId }),
  };
}
