/**
 * One stack's REST API (v1) as API Gateway serves it, on a loopback port: each request becomes a
 * Lambda proxy event (`APIGatewayProxyEvent`) for the route's function, and the function's proxy
 * result becomes the HTTP answer.
 *
 * It behaves like API Gateway where a caller can tell: unknown resources and methods answer 403
 * `Missing Authentication Token`; an `AWS_IAM` route refuses a request without a SigV4
 * signature the same way, and a malformed one as `IncompleteSignatureException`, before the
 * function runs; bodies over 10 MB answer 413; a function error or a malformed proxy result
 * answers 502 `Internal server error`; an integration slower than 29 s answers 504.
 *
 * Signatures are NOT verified locally: the emulator has no real keys to check them against. A
 * well-formed signature is taken at its word, and the caller's identity is derived from its
 * access key id.
 */
import { createHash, randomBytes, randomUUID } from "node:crypto";
import * as http from "node:http";
import type { APIGatewayEventIdentity, APIGatewayProxyEvent } from "aws-lambda";
import { Listener } from "./listener";
import type { DeployedApi, DeployedRoute, FunctionInvoker } from "./types";

/** moto's account: the account every local resource lives in. */
export const DEFAULT_ACCOUNT_ID = "123456789012";
/** API Gateway's payload limit for REST APIs. */
export const MAX_REQUEST_BODY_BYTES = 10 * 1024 * 1024;
/** API Gateway's default (and, for regional REST APIs, usual) integration timeout. */
export const INTEGRATION_TIMEOUT_MS = 29_000;
/** How far a SigV4 request date may be from the gateway's clock. */
const SIGNATURE_CLOCK_SKEW_MS = 5 * 60 * 1000;

/** An answer API Gateway gives itself, without the function: status, error type, message. */
export interface GatewayError {
  readonly status: number;
  /** The `x-amzn-ErrorType` header, when API Gateway sends one. */
  readonly type?: string;
  readonly message: string;
}

export const MISSING_AUTHENTICATION_TOKEN: GatewayError = {
  status: 403,
  type: "MissingAuthenticationTokenException",
  message: "Missing Authentication Token",
};
export const INTERNAL_SERVER_ERROR: GatewayError = {
  status: 502,
  type: "InternalServerErrorException",
  message: "Internal server error",
};
/** The integration could not be called at all (no such function, the host failed). */
export const CONFIGURATION_ERROR: GatewayError = {
  status: 500,
  type: "InternalServerErrorException",
  message: "Internal server error",
};
export const ENDPOINT_TIMED_OUT: GatewayError = {
  status: 504,
  message: "Endpoint request timed out",
};
export const REQUEST_TOO_LONG: GatewayError = { status: 413, message: "Request Too Long" };

function incompleteSignature(message: string): GatewayError {
  return { status: 403, type: "IncompleteSignatureException", message };
}

function invalidSignature(message: string): GatewayError {
  return { status: 403, type: "InvalidSignatureException", message };
}

// ---------------------------------------------------------------------------------------------
// Routing

/** A route matched against a request path. */
export interface RouteMatch {
  readonly route: DeployedRoute;
  /** The route's resource path template, e.g. `/messages`. */
  readonly resourcePath: string;
  /** The request path without the stage, as sent, e.g. `/messages`. */
  readonly path: string;
  /** Values of `{name}` and `{name+}` segments; null when the template has none. */
  readonly pathParameters: Record<string, string> | null;
}

function withLeadingSlash(path: string): string {
  return path.startsWith("/") ? path : `/${path}`;
}

function segmentsOf(path: string): string[] {
  return path.split("/").filter((segment) => segment !== "");
}

/** Matches one resource template against the path's segments. */
function matchTemplate(
  template: string,
  segments: readonly string[],
): Record<string, string> | null | undefined {
  const parts = segmentsOf(template);
  const parameters: Record<string, string> = {};
  let hasParameters = false;
  for (let i = 0; i < parts.length; i += 1) {
    const part = parts[i];
    const greedy = /^\{([^{}]+)\+\}$/.exec(part);
    if (greedy && i === parts.length - 1) {
      if (segments.length <= i) return undefined;
      parameters[greedy[1]] = segments.slice(i).map(decodeSegment).join("/");
      return parameters;
    }
    if (i >= segments.length) return undefined;
    const single = /^\{([^{}]+)\}$/.exec(part);
    if (single) {
      parameters[single[1]] = decodeSegment(segments[i]);
      hasParameters = true;
    } else if (part !== segments[i]) {
      return undefined;
    }
  }
  if (segments.length !== parts.length) return undefined;
  return hasParameters ? parameters : null;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/**
 * The route serving `method` on `requestPath` (stage included, e.g. `/prod/messages`), or
 * undefined: another stage, an unknown resource, or a method the resource does not have. A
 * trailing slash is ignored, as API Gateway does. `ANY` routes match every method.
 */
export function matchRoute(
  api: DeployedApi,
  method: string,
  requestPath: string,
): RouteMatch | undefined {
  const stagePrefix = `/${api.stageName}`;
  if (requestPath !== stagePrefix && !requestPath.startsWith(`${stagePrefix}/`)) return undefined;
  const path = requestPath.slice(stagePrefix.length) || "/";
  const segments = segmentsOf(path);
  // Literal resources win over templates, as in API Gateway.
  const routes = [...api.routes].sort(
    (a, b) => Number(a.path.includes("{")) - Number(b.path.includes("{")),
  );
  for (const route of routes) {
    if (route.method !== "ANY" && route.method.toUpperCase() !== method.toUpperCase()) continue;
    const parameters = matchTemplate(route.path, segments);
    if (parameters === undefined) continue;
    return {
      route,
      resourcePath: withLeadingSlash(route.path),
      path,
      pathParameters: parameters,
    };
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// SigV4, checked for form only

/** The signature's caller, as API Gateway reports it. */
export interface SignedCaller {
  readonly accessKey: string;
}

export type SignatureCheck =
  | { readonly ok: true; readonly caller: SignedCaller }
  | { readonly ok: false; readonly error: GatewayError };

/** `20250301T120000Z` -> epoch ms, or NaN. */
function parseAmzDate(value: string): number {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!match) return Number.NaN;
  const [, y, mo, d, h, mi, s] = match.map(Number);
  return Date.UTC(y, mo - 1, d, h, mi, s);
}

function amzDate(epochMs: number): string {
  return new Date(epochMs)
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");
}

/** Checks a credential scope `<key>/<yyyymmdd>/<region>/<service>/aws4_request`. */
function checkCredential(credential: string, region: string): SignatureCheck {
  const parts = credential.split("/");
  if (parts.length !== 5 || parts[0] === "" || parts[4] !== "aws4_request") {
    return {
      ok: false,
      error: incompleteSignature(
        `Credential should be scoped to a valid region, not '${parts[2] ?? ""}'. ` +
          "Credential should be scoped with a valid terminator: 'aws4_request', not " +
          `'${parts[4] ?? ""}'. `,
      ),
    };
  }
  if (parts[2] !== region) {
    return {
      ok: false,
      error: invalidSignature(`Credential should be scoped to a valid region, not '${parts[2]}'. `),
    };
  }
  if (parts[3] !== "execute-api") {
    return {
      ok: false,
      error: invalidSignature("Credential should be scoped to correct service: 'execute-api'. "),
    };
  }
  return { ok: true, caller: { accessKey: parts[0] } };
}

/** Refuses a request dated more than 5 minutes away from `now`, as AWS does. */
function checkDate(dateValue: string, now: number): GatewayError | undefined {
  const signedAt = /^\d{8}T\d{6}Z$/.test(dateValue)
    ? parseAmzDate(dateValue)
    : Date.parse(dateValue);
  if (!Number.isFinite(signedAt)) {
    return incompleteSignature(`Date must be in ISO-8601 'basic format'. Got '${dateValue}'. `);
  }
  if (signedAt < now - SIGNATURE_CLOCK_SKEW_MS) {
    return invalidSignature(
      `Signature expired: ${amzDate(signedAt)} is now earlier than ` +
        `${amzDate(now - SIGNATURE_CLOCK_SKEW_MS)} (${amzDate(now)} - 5 min.)`,
    );
  }
  if (signedAt > now + SIGNATURE_CLOCK_SKEW_MS) {
    return invalidSignature(
      `Signature not yet current: ${amzDate(signedAt)} is still later than ` +
        `${amzDate(now + SIGNATURE_CLOCK_SKEW_MS)} (${amzDate(now)} + 5 min.)`,
    );
  }
  return undefined;
}

/**
 * Checks that a request carries a well-formed SigV4 signature for `execute-api` in `region`, in
 * the `Authorization` header or in the query string (a presigned URL), and answers the caller's
 * access key, or API Gateway's answer for a missing or malformed one. The signature itself is
 * not verified (see the module comment).
 *
 * @param header - the request's headers, names lower-case
 */
export function checkSignature(
  header: (name: string) => string | undefined,
  query: URLSearchParams,
  region: string,
  now: number,
): SignatureCheck {
  const authorization = header("authorization");
  if (authorization !== undefined && authorization.trim() !== "") {
    const value = authorization.trim();
    const [scheme, ...rest] = value.split(" ");
    const pairs = rest
      .join(" ")
      .split(",")
      .map((pair) => pair.trim())
      .filter((pair) => pair !== "");
    if (scheme !== "AWS4-HMAC-SHA256" || pairs.some((pair) => !pair.includes("="))) {
      const digest = createHash("sha256").update(value).digest("base64");
      return {
        ok: false,
        error: incompleteSignature(
          "Invalid key=value pair (missing equal-sign) in Authorization header (hashed with " +
            `SHA-256 and encoded with Base64): '${digest}'.`,
        ),
      };
    }
    const params = new Map(
      pairs.map((pair) => {
        const at = pair.indexOf("=");
        return [pair.slice(0, at), pair.slice(at + 1)] as const;
      }),
    );
    const dateValue = header("x-amz-date") ?? header("date");
    const problems: string[] = [];
    for (const name of ["Credential", "Signature", "SignedHeaders"]) {
      if (!params.get(name)) problems.push(`Authorization header requires '${name}' parameter. `);
    }
    if (dateValue === undefined) {
      problems.push(
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ",
      );
    }
    if (problems.length > 0) {
      return {
        ok: false,
        error: incompleteSignature(`${problems.join("")}Authorization=${value}`),
      };
    }
    const credential = checkCredential(params.get("Credential") ?? "", region);
    if (!credential.ok) return credential;
    const dateProblem = checkDate(dateValue ?? "", now);
    return dateProblem ? { ok: false, error: dateProblem } : credential;
  }

  if (query.has("X-Amz-Algorithm") || query.has("X-Amz-Signature")) {
    const problems: string[] = [];
    for (const name of [
      "X-Amz-Algorithm",
      "X-Amz-Credential",
      "X-Amz-Signature",
      "X-Amz-SignedHeaders",
      "X-Amz-Date",
    ]) {
      if (!query.get(name)) problems.push(`AWS query-string parameters must include '${name}'. `);
    }
    if (problems.length > 0) {
      return {
        ok: false,
        error: incompleteSignature(`${problems.join("")}Re-examine the query-string parameters.`),
      };
    }
    if (query.get("X-Amz-Algorithm") !== "AWS4-HMAC-SHA256") {
      return {
        ok: false,
        error: incompleteSignature(
          `Unsupported AWS 'algorithm': '${query.get("X-Amz-Algorithm")}'. `,
        ),
      };
    }
    const credential = checkCredential(query.get("X-Amz-Credential") ?? "", region);
    if (!credential.ok) return credential;
    const dateProblem = checkDate(query.get("X-Amz-Date") ?? "", now);
    return dateProblem ? { ok: false, error: dateProblem } : credential;
  }

  return { ok: false, error: MISSING_AUTHENTICATION_TOKEN };
}

// ---------------------------------------------------------------------------------------------
// The proxy event

/** One HTTP request as received, what the event is built from. */
export interface GatewayRequest {
  readonly method: string;
  /** The request target's path, stage included, e.g. `/prod/messages`. */
  readonly requestPath: string;
  /** The query string without `?`, `""` when none. */
  readonly query: string;
  /** Header names and values as received, alternating (Node's `rawHeaders`). */
  readonly rawHeaders: readonly string[];
  /** The body; empty when none. */
  readonly body: Buffer;
  readonly sourceIp: string;
  /** Port the request arrived on. */
  readonly localPort: number;
  /** E.g. `1.1`. */
  readonly httpVersion: string;
}

/** What API Gateway knows about the request besides the request itself. */
export interface EventContext {
  readonly api: DeployedApi;
  readonly match: RouteMatch;
  readonly accountId: string;
  /** The signed caller of an `AWS_IAM` route; undefined for a route without authorization. */
  readonly caller?: SignedCaller;
  readonly requestId: string;
  readonly extendedRequestId: string;
  /** Epoch ms the request arrived. */
  readonly now: number;
  /** Trace header value to add when the request carries none. */
  readonly traceId: string;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** API Gateway's `requestTime`: `01/Mar/2025:12:00:00 +0000`. */
export function requestTime(epochMs: number): string {
  const d = new Date(epochMs);
  const two = (n: number): string => String(n).padStart(2, "0");
  return (
    `${two(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:` +
    `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`
  );
}

/** A stable resource id for a route (API Gateway's are 6-10 lower-case characters). */
export function resourceIdOf(apiId: string, resourcePath: string): string {
  return createHash("sha256").update(`${apiId}\0${resourcePath}`).digest("hex").slice(0, 6);
}

/** An `X-Amzn-Trace-Id` value: `Root=1-<epoch seconds, hex>-<96 random bits, hex>`. */
export function newTraceId(epochMs: number): string {
  const seconds = Math.floor(epochMs / 1000)
    .toString(16)
    .padStart(8, "0");
  return `Root=1-${seconds}-${randomBytes(12).toString("hex")}`;
}

/** An `extendedRequestId` (API Gateway's `x-amz-apigw-id`): 16 characters of base64. */
export function newExtendedRequestId(): string {
  return randomBytes(11).toString("base64").replace(/\+/g, "A").replace(/\//g, "B");
}

/**
 * Request headers API Gateway does not pass on as sent: hop-by-hop ones, and the forwarding
 * headers it writes itself.
 */
const REPLACED_REQUEST_HEADERS = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "te",
  "transfer-encoding",
  "upgrade",
  "x-forwarded-for",
  "x-forwarded-port",
  "x-forwarded-proto",
]);

/** Header names and values: the last value per name, and every value per name, case kept. */
function headerMaps(pairs: readonly (readonly [string, string])[]): {
  headers: Record<string, string>;
  multiValueHeaders: Record<string, string[]>;
} {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  const nameOf = new Map<string, string>();
  for (const [rawName, value] of pairs) {
    // One entry per header whatever the case it was sent in; the first spelling wins.
    const name = nameOf.get(rawName.toLowerCase()) ?? rawName;
    nameOf.set(rawName.toLowerCase(), name);
    headers[name] = value;
    (multiValueHeaders[name] ??= []).push(value);
  }
  return { headers, multiValueHeaders };
}

function queryMaps(query: string): {
  queryStringParameters: Record<string, string> | null;
  multiValueQueryStringParameters: Record<string, string[]> | null;
} {
  const params = new URLSearchParams(query);
  const single: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  let any = false;
  for (const [name, value] of params) {
    any = true;
    single[name] = value;
    (multi[name] ??= []).push(value);
  }
  return any
    ? { queryStringParameters: single, multiValueQueryStringParameters: multi }
    : { queryStringParameters: null, multiValueQueryStringParameters: null };
}

/**
 * The Lambda proxy event API Gateway sends for `request`: headers as sent (case kept) plus the
 * forwarding and trace headers API Gateway adds, the query string, the body as UTF-8 text (the
 * product's API declares no binary media types), and the request context with the caller's
 * identity. For an `AWS_IAM` route the identity is derived from the signature's access key
 * (`userArn` = `arn:aws:iam::<account>:user/<access key id>`): signatures are not verified
 * locally, so there is no principal to look up.
 */
export function buildProxyEvent(
  request: GatewayRequest,
  context: EventContext,
): APIGatewayProxyEvent {
  const pairs: [string, string][] = [];
  for (let i = 0; i + 1 < request.rawHeaders.length; i += 2) {
    pairs.push([request.rawHeaders[i], request.rawHeaders[i + 1]]);
  }
  const lower = (name: string): [string, string] | undefined =>
    pairs.find(([key]) => key.toLowerCase() === name);
  const forwardedFor = lower("x-forwarded-for");
  const added: [string, string][] = [];
  if (!lower("x-amzn-trace-id")) added.push(["X-Amzn-Trace-Id", context.traceId]);
  const kept = pairs.filter(([key]) => !REPLACED_REQUEST_HEADERS.has(key.toLowerCase()));
  added.push(
    [
      "X-Forwarded-For",
      forwardedFor ? `${forwardedFor[1]}, ${request.sourceIp}` : request.sourceIp,
    ],
    ["X-Forwarded-Port", String(request.localPort)],
    ["X-Forwarded-Proto", "http"],
  );
  const { headers, multiValueHeaders } = headerMaps([...kept, ...added]);
  // The domain called, without the port; an address has no API-id prefix, so use the API id.
  const host = (lower("host")?.[1] ?? "127.0.0.1").replace(/:\d+$/, "");
  const firstLabel = host.split(".")[0];
  const isAddress = /^[\d.]+$|^\[|^localhost$/.test(host);
  const userAgent = lower("user-agent")?.[1] ?? null;
  const { api, match, caller, accountId } = context;

  const identity: APIGatewayEventIdentity = {
    cognitoIdentityPoolId: null,
    accountId: caller ? accountId : null,
    cognitoIdentityId: null,
    caller: caller ? caller.accessKey : null,
    sourceIp: request.sourceIp,
    principalOrgId: null,
    accessKey: caller ? caller.accessKey : null,
    cognitoAuthenticationType: null,
    cognitoAuthenticationProvider: null,
    userArn: caller ? `arn:aws:iam::${accountId}:user/${caller.accessKey}` : null,
    userAgent,
    user: caller ? caller.accessKey : null,
    apiKey: null,
    apiKeyId: null,
    clientCert: null,
  };

  return {
    resource: match.resourcePath,
    path: match.path,
    httpMethod: request.method,
    headers,
    multiValueHeaders,
    ...queryMaps(request.query),
    pathParameters: match.pathParameters,
    stageVariables: null,
    requestContext: {
      resourceId: resourceIdOf(api.apiId, match.resourcePath),
      resourcePath: match.resourcePath,
      httpMethod: request.method,
      extendedRequestId: context.extendedRequestId,
      requestTime: requestTime(context.now),
      path: request.requestPath,
      accountId,
      protocol: `HTTP/${request.httpVersion}`,
      stage: api.stageName,
      domainPrefix: isAddress ? context.api.apiId : firstLabel,
      requestTimeEpoch: context.now,
      requestId: context.requestId,
      identity,
      domainName: host,
      apiId: api.apiId,
      authorizer: null,
    },
    body: request.body.length > 0 ? request.body.toString("utf8") : null,
    isBase64Encoded: false,
  };
}

// ---------------------------------------------------------------------------------------------
// The proxy result

/** An HTTP answer: status, headers (name -> values, case kept) and body. */
export interface GatewayResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, readonly string[]>>;
  readonly body: Buffer;
}

const RESULT_KEYS = new Set([
  "statusCode",
  "headers",
  "multiValueHeaders",
  "body",
  "isBase64Encoded",
]);
/** Framing headers API Gateway sets itself, whatever the function answers. */
const HOP_HEADERS = new Set(["content-length", "transfer-encoding", "connection", "keep-alive"]);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function headerValue(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return undefined;
}

/**
 * The HTTP answer for a function's proxy result, or undefined when API Gateway would call it a
 * "Malformed Lambda proxy response": not an object, a key other than `statusCode`, `headers`,
 * `multiValueHeaders`, `body`, `isBase64Encoded`, a status that is not an integer 100-599, a
 * body that is not a string, a header value that is not a scalar. `headers` and
 * `multiValueHeaders` are merged, each value once.
 */
export function proxyResponse(result: unknown): GatewayResponse | undefined {
  if (!isRecord(result)) return undefined;
  if (Object.keys(result).some((key) => !RESULT_KEYS.has(key))) return undefined;
  const rawStatus = result.statusCode;
  const status =
    typeof rawStatus === "number"
      ? rawStatus
      : typeof rawStatus === "string" && /^\d{3}$/.test(rawStatus)
        ? Number(rawStatus)
        : Number.NaN;
  if (!Number.isInteger(status) || status < 100 || status > 599) return undefined;
  const body = result.body;
  if (body !== undefined && body !== null && typeof body !== "string") return undefined;
  const base64 = result.isBase64Encoded;
  if (base64 !== undefined && base64 !== null && typeof base64 !== "boolean") return undefined;

  const headers = new Map<string, { name: string; values: string[] }>();
  const add = (name: string, value: unknown): boolean => {
    if (value === null || value === undefined) return true;
    const text = headerValue(value);
    if (text === undefined) return false;
    if (HOP_HEADERS.has(name.toLowerCase())) return true;
    const entry = headers.get(name.toLowerCase()) ?? { name, values: [] };
    if (!entry.values.includes(text)) entry.values.push(text);
    headers.set(name.toLowerCase(), entry);
    return true;
  };
  const multi = result.multiValueHeaders;
  if (multi !== undefined && multi !== null) {
    if (!isRecord(multi)) return undefined;
    for (const [name, values] of Object.entries(multi)) {
      if (values === null) continue;
      if (!Array.isArray(values)) return undefined;
      for (const value of values) if (!add(name, value)) return undefined;
    }
  }
  const single = result.headers;
  if (single !== undefined && single !== null) {
    if (!isRecord(single)) return undefined;
    for (const [name, value] of Object.entries(single)) if (!add(name, value)) return undefined;
  }
  if (!headers.has("content-type")) {
    headers.set("content-type", { name: "Content-Type", values: ["application/json"] });
  }
  const text = typeof body === "string" ? body : "";
  return {
    status,
    headers: Object.fromEntries([...headers.values()].map(({ name, values }) => [name, values])),
    body: base64 === true ? Buffer.from(text, "base64") : Buffer.from(text, "utf8"),
  };
}

/** API Gateway's own answer for an error: JSON `{"message": ...}`. */
export function gatewayErrorResponse(error: GatewayError): GatewayResponse {
  const headers: Record<string, string[]> = { "Content-Type": ["application/json"] };
  if (error.type !== undefined) headers["x-amzn-ErrorType"] = [error.type];
  return {
    status: error.status,
    headers,
    body: Buffer.from(JSON.stringify({ message: error.message })),
  };
}

// ---------------------------------------------------------------------------------------------
// The server

export interface ApiServerOptions {
  readonly api: DeployedApi;
  /** The invoker of a function by name; throws when there is none. */
  readonly invokerFor: (functionName: string) => FunctionInvoker;
  /**
   * Account the API belongs to, for the request context.
   * @default - moto's account, 123456789012
   */
  readonly accountId?: string;
  /**
   * Port to listen on.
   * @default - a free port, kept across `down()` and `up()`
   */
  readonly port?: number;
  /**
   * Address to listen on.
   * @default - 127.0.0.1
   */
  readonly host?: string;
  /**
   * Largest request body accepted.
   * @default - 10 MB, API Gateway's limit
   */
  readonly maxBodyBytes?: number;
  /**
   * Time after which the gateway answers 504 while the function still runs.
   * @default - 29 s
   */
  readonly integrationTimeoutMs?: number;
  /**
   * Clock, epoch ms.
   * @default - Date.now
   */
  readonly now?: () => number;
  /** One access-log line per request. */
  readonly onLog?: (line: string) => void;
}

class TooLarge extends Error {}

function readBody(request: http.IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new TooLarge());
        request.removeAllListeners("data");
        request.resume();
        return;
      }
      chunks.push(chunk);
    });
    request.on("end", () => resolve(Buffer.concat(chunks)));
    request.on("error", reject);
  });
}

/** Serves one REST API's stage on a loopback port; see the module comment. */
export class ApiServer extends Listener {
  /** The API served. */
  public readonly api: DeployedApi;

  private readonly options: ApiServerOptions;
  private readonly server: http.Server;

  constructor(options: ApiServerOptions) {
    super({ name: `API ${options.api.name}`, host: options.host, port: options.port });
    this.options = options;
    this.api = options.api;
    this.server = http.createServer((request, response) => {
      this.handle(request, response).catch((error: unknown) => {
        this.log(`internal error: ${(error as Error).message}`);
        if (!response.headersSent) this.send(response, gatewayErrorResponse(CONFIGURATION_ERROR));
        else response.destroy();
      });
    });
    this.attach(this.server);
    this.server.on("connection", (socket) => this.track(socket));
  }

  /** The stage's base URL, e.g. `http://127.0.0.1:40125/prod`. */
  get url(): string {
    if (this.port === 0) throw new Error(`API ${this.api.name} is not started`);
    return `http://${this.host}:${this.port}/${this.api.stageName}`;
  }

  private log(line: string): void {
    this.options.onLog?.(`[api ${this.api.name}] ${line}`);
  }

  private send(
    response: http.ServerResponse,
    answer: GatewayResponse,
    requestId?: string,
    extendedRequestId?: string,
    traceId?: string,
  ): void {
    for (const [name, values] of Object.entries(answer.headers)) {
      response.setHeader(name, values.length === 1 ? values[0] : [...values]);
    }
    if (requestId !== undefined) response.setHeader("x-amzn-RequestId", requestId);
    if (extendedRequestId !== undefined) response.setHeader("x-amz-apigw-id", extendedRequestId);
    if (traceId !== undefined) response.setHeader("X-Amzn-Trace-Id", traceId);
    response.setHeader("Content-Length", answer.body.length);
    response.statusCode = answer.status;
    response.end(answer.body);
  }

  private async handle(
    request: http.IncomingMessage,
    response: http.ServerResponse,
  ): Promise<void> {
    const started = Date.now();
    const now = (this.options.now ?? Date.now)();
    const requestId = randomUUID();
    const extendedRequestId = newExtendedRequestId();
    const method = request.method ?? "GET";
    const target = request.url ?? "/";
    const queryAt = target.indexOf("?");
    const requestPath = queryAt === -1 ? target : target.slice(0, queryAt);
    const query = queryAt === -1 ? "" : target.slice(queryAt + 1);
    const traceHeader = request.headers["x-amzn-trace-id"];
    const traceId = typeof traceHeader === "string" ? traceHeader : newTraceId(now);

    const answer = (result: GatewayResponse, note = ""): void => {
      // A region taken down while the function ran has cut the connection: the answer is lost.
      if (request.socket.destroyed) note = `${note} (connection closed before the answer)`.trim();
      this.send(response, result, requestId, extendedRequestId, traceId);
      this.log(
        `${requestId} ${request.socket.remoteAddress ?? "-"} ${method} ${requestPath} ` +
          `${result.status} ${Date.now() - started}ms${note ? ` ${note}` : ""}`,
      );
    };
    const refuse = (error: GatewayError, note?: string): void => {
      // The body, if any, is not needed: drain it so the connection stays usable.
      request.resume();
      answer(gatewayErrorResponse(error), note);
    };

    const match = matchRoute(this.api, method, requestPath);
    if (match === undefined) return refuse(MISSING_AUTHENTICATION_TOKEN, "(no such route)");

    const limit = this.options.maxBodyBytes ?? MAX_REQUEST_BODY_BYTES;
    const declared = Number(request.headers["content-length"] ?? 0);
    if (declared > limit) return refuse(REQUEST_TOO_LONG);

    let caller: SignedCaller | undefined;
    if (match.route.authorization === "AWS_IAM") {
      const header = (name: string): string | undefined => {
        const value = request.headers[name];
        return Array.isArray(value) ? value[value.length - 1] : value;
      };
      const check = checkSignature(header, new URLSearchParams(query), this.api.region, now);
      if (!check.ok) return refuse(check.error, "(signature)");
      caller = check.caller;
    }

    let body: Buffer;
    try {
      body = await readBody(request, limit);
    } catch (error) {
      if (error instanceof TooLarge) return refuse(REQUEST_TOO_LONG);
      throw error;
    }

    const event = buildProxyEvent(
      {
        method,
        requestPath,
        query,
        rawHeaders: request.rawHeaders,
        body,
        sourceIp: request.socket.remoteAddress?.replace(/^::ffff:/, "") ?? "127.0.0.1",
        localPort: this.port,
        httpVersion: request.httpVersion,
      },
      {
        api: this.api,
        match,
        accountId: this.options.accountId ?? DEFAULT_ACCOUNT_ID,
        caller,
        requestId,
        extendedRequestId,
        now,
        traceId,
      },
    );

    let invoker: FunctionInvoker;
    try {
      invoker = this.options.invokerFor(match.route.functionName);
    } catch (error) {
      return refuse(CONFIGURATION_ERROR, `(${(error as Error).message})`);
    }

    const timeoutMs = this.options.integrationTimeoutMs ?? INTEGRATION_TIMEOUT_MS;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), timeoutMs);
    });
    let outcome: Awaited<ReturnType<FunctionInvoker["invoke"]>> | "timeout";
    try {
      outcome = await Promise.race([invoker.invoke(event), timedOut]);
    } catch (error) {
      return refuse(CONFIGURATION_ERROR, `(invoke failed: ${(error as Error).message})`);
    } finally {
      clearTimeout(timer);
    }
    if (outcome === "timeout") return refuse(ENDPOINT_TIMED_OUT);
    if (!outcome.ok) {
      return refuse(INTERNAL_SERVER_ERROR, `(${outcome.errorType}: ${outcome.errorMessage})`);
    }
    const mapped = proxyResponse(outcome.result);
    if (mapped === undefined) {
      return refuse(INTERNAL_SERVER_ERROR, "(Malformed Lambda proxy response)");
    }
    answer(mapped);
  }
}
