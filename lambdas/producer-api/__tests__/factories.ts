import type { APIGatewayProxyEvent, Context } from "aws-lambda";
import { ENV_REGION, ENV_SERVICE_NAME, ENV_STACK, ENV_TOPIC_ARN } from "../env";

export const REGION = "us-east-1";
export const TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:fanout-primary-topic";
export const STACK = "primary";
export const SERVICE = "fanout-primary-api";
export const API_REQUEST_ID = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef";
export const LAMBDA_REQUEST_ID = "2f1b5c3e-9d7a-4e2b-8c61-0a9f4d3e2b1c";

/** The environment the stack sets on the function, plus what Lambda sets. */
export const FUNCTION_ENV: Readonly<Record<string, string>> = {
  [ENV_TOPIC_ARN]: TOPIC_ARN,
  [ENV_STACK]: STACK,
  [ENV_SERVICE_NAME]: SERVICE,
  [ENV_REGION]: REGION,
};

export interface ApiEventOptions {
  readonly method?: string;
  readonly path?: string;
  /** Resource template; defaults to `path`, as for a REST API without a proxy resource. */
  readonly resource?: string;
  readonly body?: string | null;
  /** Merged over the defaults; an `undefined` value removes that header. */
  readonly headers?: Readonly<Record<string, string | undefined>>;
  readonly isBase64Encoded?: boolean;
  readonly requestId?: string;
}

const DEFAULT_HEADERS: Readonly<Record<string, string>> = {
  Accept: "*/*",
  Host: "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com",
  "User-Agent": "fanout-cli/0.1.0",
  "X-Amzn-Trace-Id": "Root=1-67c2f6a0-0123456789abcdef01234567",
  "X-Forwarded-For": "203.0.113.10",
  "X-Forwarded-Port": "443",
  "X-Forwarded-Proto": "https",
};

/**
 * A REST API (v1) Lambda proxy event as API Gateway sends it, for `POST /messages` with a JSON
 * body unless told otherwise. POST requests get `Content-Type: application/json` by default.
 */
export function apiEvent(options: ApiEventOptions = {}): APIGatewayProxyEvent {
  const method = options.method ?? "POST";
  const path = options.path ?? "/messages";
  const merged: Record<string, string | undefined> = {
    ...DEFAULT_HEADERS,
    ...(method === "POST" ? { "Content-Type": "application/json" } : {}),
    ...options.headers,
  };
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(merged)) {
    if (value === undefined) continue;
    headers[name] = value;
    multiValueHeaders[name] = [value];
  }
  const body = options.body === undefined ? (method === "POST" ? "{}" : null) : options.body;
  return {
    resource: options.resource ?? path,
    path,
    httpMethod: method,
    headers,
    multiValueHeaders,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    requestContext: {
      accountId: "123456789012",
      apiId: "a1b2c3d4e5",
      authorizer: null,
      domainName: "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com",
      domainPrefix: "a1b2c3d4e5",
      extendedRequestId: "GxYzAbCdIAMEXAMPLE=",
      httpMethod: method,
      identity: {
        accessKey: "AKIAEXAMPLEEXAMPLE12",
        accountId: "123456789012",
        apiKey: null,
        apiKeyId: null,
        caller: "AIDAEXAMPLEEXAMPLE123",
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: "203.0.113.10",
        user: "AIDAEXAMPLEEXAMPLE123",
        userAgent: "fanout-cli/0.1.0",
        userArn: "arn:aws:iam::123456789012:user/producer",
      },
      path: `/prod${path}`,
      protocol: "HTTP/1.1",
      requestId: options.requestId ?? API_REQUEST_ID,
      requestTime: "01/Mar/2025:12:00:00 +0000",
      requestTimeEpoch: 1740830400000,
      resourceId: "x1y2z3",
      resourcePath: options.resource ?? path,
      stage: "prod",
    },
    body,
    isBase64Encoded: options.isBase64Encoded ?? false,
  };
}

/** A `POST /messages` event whose body is `payload` as JSON. */
export function publishEvent(
  payload: unknown,
  options: Omit<ApiEventOptions, "body" | "method" | "path"> = {},
): APIGatewayProxyEvent {
  return apiEvent({ ...options, method: "POST", path: "/messages", body: JSON.stringify(payload) });
}

/** A Lambda context with a fixed request id and `remainingMs` left before the timeout. */
export function lambdaContext(remainingMs = 10_000): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: "fanout-primary-api",
    functionVersion: "$LATEST",
    invokedFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:fanout-primary-api",
    memoryLimitInMB: "256",
    awsRequestId: LAMBDA_REQUEST_ID,
    logGroupName: "/aws/lambda/fanout-primary-api",
    logStreamName: "2025/03/01/[$LATEST]0123456789abcdef0123456789abcdef",
    getRemainingTimeInMillis: () => remainingMs,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** Sets the function environment, with `overrides` (`undefined` unsets); returns a restorer. */
export function setFunctionEnv(
  overrides: Readonly<Record<string, string | undefined>> = {},
): () => void {
  const wanted: Record<string, string | undefined> = { ...FUNCTION_ENV, ...overrides };
  const saved = Object.keys(wanted).map((name) => [name, process.env[name]] as const);
  const apply = (entries: readonly (readonly [string, string | undefined])[]): void => {
    for (const [name, value] of entries) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
  apply(Object.entries(wanted));
  return () => apply(saved);
}

/** Structured log records written through `console` (Powertools in dev mode), parsed. */
export interface CapturedLogs {
  readonly records: Record<string, unknown>[];
}

/**
 * Captures the logger's output. Needs `POWERTOOLS_DEV=true` before the logger is created (see
 * `init-env.ts`), which makes Powertools write through the global console.
 */
export function captureLogs(): CapturedLogs {
  const records: Record<string, unknown>[] = [];
  const capture = (...args: unknown[]): void => {
    try {
      records.push(JSON.parse(String(args[0])) as Record<string, unknown>);
    } catch {
      records.push({ unparsed: String(args[0]) });
    }
  };
  for (const method of ["debug", "info", "warn", "error", "log"] as const) {
    jest.spyOn(console, method).mockImplementation(capture);
  }
  return { records };
}
