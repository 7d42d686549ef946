/**
 * Sorting SNS publish failures into "send it again later" and "sending it again will not help".
 * Pure; works on any thrown value.
 */

/** Error names that mean "too fast" or "AWS side is unwell": the same request may succeed. */
const RETRYABLE_NAMES: ReadonlySet<string> = new Set([
  "ThrottledException",
  "Throttling",
  "ThrottlingException",
  "TooManyRequestsException",
  "RequestLimitExceeded",
  "KMSThrottlingException",
  "InternalErrorException",
  "InternalError",
  "InternalFailure",
  "ServiceUnavailable",
  "ServiceUnavailableException",
  "RequestTimeout",
  "RequestTimeoutException",
  "TimeoutError",
  // The SDK's name when the request is aborted; the handler aborts before the Lambda times out.
  "AbortError",
]);

/** Node.js socket error codes: the request never got an answer. */
const NETWORK_CODES: ReadonlySet<string> = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENETDOWN",
]);

interface SdkErrorShape {
  name?: unknown;
  code?: unknown;
  $fault?: unknown;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: unknown; requestId?: unknown };
}

function shape(error: unknown): SdkErrorShape {
  return typeof error === "object" && error !== null ? (error as SdkErrorShape) : {};
}

/**
 * `true` for throttling, AWS-side (5xx) and network failures; `false` for everything the same
 * request would hit again: authorization, missing topic, KMS key problems, invalid parameters.
 */
export function isRetryablePublishError(error: unknown): boolean {
  const e = shape(error);
  if (typeof e.name === "string" && RETRYABLE_NAMES.has(e.name)) return true;
  if (typeof e.code === "string" && NETWORK_CODES.has(e.code)) return true;
  if (e.$retryable !== undefined && e.$retryable !== null && e.$retryable !== false) return true;
  if (e.$fault === "server") return true;
  const status = e.$metadata?.httpStatusCode;
  return typeof status === "number" && (status >= 500 || status === 429);
}

/** Facts about a failure worth logging (never sent to the caller). */
export function publishErrorDetails(error: unknown): Record<string, unknown> {
  const e = shape(error);
  return {
    error_name: typeof e.name === "string" ? e.name : typeof error,
    http_status: e.$metadata?.httpStatusCode,
    sns_request_id: e.$metadata?.requestId,
  };
}
