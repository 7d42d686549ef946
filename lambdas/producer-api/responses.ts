import type { APIGatewayProxyResult } from "aws-lambda";

/** Headers every answer carries: always JSON, never cached by an intermediary. */
export const BASE_HEADERS: Readonly<Record<string, string>> = {
  "Content-Type": "application/json",
  "Cache-Control": "no-store",
  "X-Content-Type-Options": "nosniff",
};

/** A JSON answer with the base headers plus `extraHeaders`. */
export function jsonResponse(
  statusCode: number,
  body: unknown,
  extraHeaders: Readonly<Record<string, string>> = {},
): APIGatewayProxyResult {
  return {
    statusCode,
    headers: { ...BASE_HEADERS, ...extraHeaders },
    body: JSON.stringify(body),
  };
}

/** Fields of every error body; `message` is meant for a human, never internal detail. */
export interface ErrorBody {
  readonly message: string;
  /** API Gateway request id, to find the request in the logs. */
  readonly requestId?: string;
  /** Only on 502: whether the same request may succeed when sent again. */
  readonly retryable?: boolean;
}

export function errorResponse(
  statusCode: number,
  body: ErrorBody,
  extraHeaders: Readonly<Record<string, string>> = {},
): APIGatewayProxyResult {
  return jsonResponse(statusCode, body, extraHeaders);
}
