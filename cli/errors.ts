/**
 * Errors the CLI turns into one line on stderr and an exit code, never a stack trace.
 */

/** Exit codes of the `fanout` tool. */
export const EXIT = {
  ok: 0,
  /** Something failed at run time: an AWS call, a message not delivered, an unhealthy stack. */
  failure: 1,
  /** The command line or an input file is wrong. */
  usage: 2,
  /** Stopped by Ctrl-C before the work was done. */
  interrupted: 130,
} as const;

/** Bad command line or input file (outputs file, unknown stack): exit 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** A run-time failure that already has a clear message: exit 1. */
export class CliError extends Error {
  override readonly name = "CliError";
}

/** A call that did not answer within its time limit. */
export class TimeoutError extends Error {
  override readonly name = "TimeoutError";
}

function errorName(err: unknown): string | undefined {
  if (typeof err === "object" && err !== null && "name" in err) {
    const name = (err as { name: unknown }).name;
    return typeof name === "string" ? name : undefined;
  }
  return undefined;
}

/**
 * True for errors that no retry and no other region can fix, so a run must stop: the SDK found
 * no credentials, or the credentials are expired or invalid everywhere.
 */
export function isFatalError(err: unknown): boolean {
  const name = errorName(err);
  return (
    name === "CredentialsProviderError" ||
    name === "ExpiredTokenException" ||
    name === "ExpiredToken" ||
    name === "UnrecognizedClientException" ||
    name === "InvalidClientTokenId"
  );
}

/**
 * Error codes of requests that cannot succeed however often they are sent, to this target or
 * another: the caller is not allowed, the resource does not exist, or a parameter is wrong.
 */
const PERMANENT_CODES: ReadonlySet<string> = new Set([
  "AccessDenied",
  "AccessDeniedException",
  "AuthorizationError",
  "AuthorizationErrorException",
  "NotFound",
  "NotFoundException",
  "ResourceNotFoundException",
  "QueueDoesNotExist",
  "AWS.SimpleQueueService.NonExistentQueue",
  "InvalidParameter",
  "InvalidParameterException",
  "InvalidParameterValue",
  "InvalidParameterValueException",
  "InvalidAddress",
  "ValidationError",
  "ValidationException",
  "KMSDisabled",
  "KMSDisabledException",
  "KMSNotFound",
  "KMSNotFoundException",
  "KMSAccessDenied",
  "KMSAccessDeniedException",
]);

/**
 * Codes worth sending again, also where the service flags the entry as the sender's fault
 * (SNS marks `KMSThrottling` so, yet it passes).
 */
const RETRYABLE_CODES: ReadonlySet<string> = new Set([
  "Throttling",
  "ThrottlingException",
  "ThrottledException",
  "Throttled",
  "RequestThrottled",
  "TooManyRequestsException",
  "KMSThrottling",
  "KMSThrottlingException",
  "KMSOptInRequired",
  "ServiceUnavailable",
  "InternalError",
  "InternalFailure",
  "InternalErrorException",
]);

/** True when an error code names a request that can never succeed (see PERMANENT_CODES). */
export function isPermanentCode(code: string | undefined): boolean {
  return code !== undefined && PERMANENT_CODES.has(code);
}

/** True when an error code is worth a retry whatever the service's sender-fault flag says. */
export function isRetryableCode(code: string | undefined): boolean {
  return code !== undefined && RETRYABLE_CODES.has(code);
}

/**
 * True for an error no retry can fix: the fatal credential errors, and the caller's faults
 * (authorization, not found, invalid parameter) by code. Throttling, server faults, time-outs
 * and network errors are not permanent.
 */
export function isPermanentError(err: unknown): boolean {
  if (isFatalError(err)) return true;
  const code = errorName(err) ?? (err as { Code?: unknown } | undefined)?.Code;
  return typeof code === "string" && isPermanentCode(code);
}

/** One line that says what went wrong, for a log line or a table cell. */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const message = err.message.split("\n")[0].trim();
    if (err.name === "CredentialsProviderError") {
      return `no AWS credentials found (${message}); configure a profile, SSO or environment credentials`;
    }
    if (!message) return err.name;
    if (err.name === "Error" || err.name === "UsageError" || err.name === "CliError")
      return message;
    return `${err.name}: ${message}`;
  }
  return String(err);
}

/** Exit code for an error that ended a command. */
export function exitCodeOf(err: unknown): number {
  return err instanceof UsageError ? EXIT.usage : EXIT.failure;
}
