/**
 * What API Gateway answers: its own errors (`{"message": ...}` with an `x-amzn-ErrorType`), and
 * the HTTP answer it makes of a function's Lambda proxy result.
 */

/** An answer API Gateway gives itself, without the function: status, error type, message. */
export interface GatewayError {
  readonly status: number;
  /** The `x-amzn-ErrorType` header, when API Gateway sends one. */
  readonly type?: string;
  readonly message: string;
}

/** An error API Gateway answers itself; `type` becomes its `x-amzn-ErrorType`. */
export function gatewayError(status: number, message: string, type?: string): GatewayError {
  return type === undefined ? { status, message } : { status, type, message };
}

export const MISSING_AUTHENTICATION_TOKEN = gatewayError(
  403,
  "Missing Authentication Token",
  "MissingAuthenticationTokenException",
);

export const INTERNAL_SERVER_ERROR = gatewayError(
  502,
  "Internal server error",
  "InternalServerErrorException",
);

/** The integration could not be called at all (no such function, the host failed). */
export const CONFIGURATION_ERROR = gatewayError(
  500,
  "Internal server error",
  "InternalServerErrorException",
);

export const ENDPOINT_TIMED_OUT = gatewayError(504, "Endpoint request timed out");
export const REQUEST_TOO_LONG = gatewayError(413, "Request Too Long");

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
