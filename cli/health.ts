/** The stacks' unauthenticated `GET /health` endpoint. */
import { describeError } from "./errors";
import type { HttpClient } from "./http";
import { withTimeout } from "./timing";

export interface HealthAnswer {
  /** True when the endpoint answered 200. */
  readonly healthy: boolean;
  /** HTTP status, when it answered at all. */
  readonly status?: number;
  /** Response body (one line) or the error that prevented an answer. */
  readonly detail: string;
}

export async function checkHealth(
  http: HttpClient,
  url: string,
  timeoutMs: number,
): Promise<HealthAnswer> {
  try {
    const response = await withTimeout(timeoutMs, (signal) =>
      http({ method: "GET", url, headers: { accept: "application/json" }, signal }),
    );
    return {
      healthy: response.status === 200,
      status: response.status,
      detail: response.body.replace(/\s+/g, " ").trim(),
    };
  } catch (err) {
    return { healthy: false, detail: describeError(err) };
  }
}
