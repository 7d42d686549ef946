/**
 * Who is calling: the API Gateway request context of the event. The function is reachable only
 * through API Gateway (its invoke permissions name this API's routes), but a direct invocation by
 * anyone with `lambda:InvokeFunction` would carry no context; such an event is refused, and on
 * `POST /messages` so is one without the IAM identity API Gateway adds after checking the
 * signature. The caller's ARN goes into every log line of the request, so a leaked producer
 * credential can be traced.
 */
import type { APIGatewayProxyEvent } from "aws-lambda";

/** Who sent a request, as API Gateway saw it. */
export interface Caller {
  /** API Gateway's request id. */
  readonly requestId: string;
  /** The IAM principal's ARN (`POST /messages`), absent on the open health route. */
  readonly arn?: string;
  readonly sourceIp?: string;
}

export type CallerResult =
  { readonly ok: true; readonly caller: Caller } | { readonly ok: false; readonly message: string };

const nonEmpty = (value: unknown): value is string => typeof value === "string" && value !== "";

/**
 * The caller of an event, or why it is refused: no API Gateway context (no request id, stage or
 * API id), or, when `needsIdentity`, no IAM user ARN.
 */
export function callerOf(
  event: Partial<Pick<APIGatewayProxyEvent, "requestContext">> | undefined,
  needsIdentity: boolean,
): CallerResult {
  const context = event?.requestContext;
  if (!nonEmpty(context?.requestId) || !nonEmpty(context?.stage) || !nonEmpty(context?.apiId)) {
    return { ok: false, message: "Requests must come through the API" };
  }
  const identity = context.identity;
  const arn = nonEmpty(identity?.userArn) ? identity.userArn : undefined;
  if (needsIdentity && arn === undefined) {
    return { ok: false, message: "Requests must be signed with AWS credentials (IAM)" };
  }
  const sourceIp = nonEmpty(identity?.sourceIp) ? identity.sourceIp : undefined;
  return { ok: true, caller: { requestId: context.requestId, arn, sourceIp } };
}
