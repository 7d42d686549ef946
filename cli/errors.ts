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
