/**
 * The Lambda proxy event (`APIGatewayProxyEvent`) API Gateway makes of a request: the route it
 * matches (resource, path parameters), its headers and query string as API Gateway passes them
 * on, and the request context with the caller's identity.
 */
import { createHash, randomBytes } from "node:crypto";
import type { APIGatewayEventIdentity, APIGatewayProxyEvent } from "aws-lambda";
import type { SignedCaller } from "./api-signature";
import type { DeployedApi, DeployedRoute } from "./types";

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
