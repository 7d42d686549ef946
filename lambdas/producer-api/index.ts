/**
 * Producer API: the API Gateway REST API (v1) Lambda proxy handler of `POST /messages`
 * (IAM-authorized at the gateway: publishes one message to the stack's topic) and
 * `GET /health` (no auth). The contract, request rules and answers are in
 * docs/producer-api.md; `request.ts` checks a request, `responses.ts` shapes the answers and
 * `sns-errors.ts` tells retryable publish failures from the others.
 *
 * The contract (routes, request shape, answers) is docs/producer-api.md. The handler refuses
 * events that did not come through API Gateway (and POST /messages without an IAM identity),
 * stamps `recorded_at` with this function's clock (the AWS clock) when a message has none,
 * bounds each publish so the answer beats API Gateway's 29 s limit, answers GET /health from a
 * cached real read of the topic, and never answers a stack trace: unexpected errors are logged
 * and answered 500.
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { GetTopicAttributesCommand, PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from "aws-lambda";
import { callerOf } from "./caller";
import { readConfig, type ProducerApiConfig } from "./env";
import { parsePublishRequest, resolveRoute } from "./request";
import { errorResponse, jsonResponse } from "./responses";
import { isRetryablePublishError, publishErrorDetails } from "./sns-errors";
import { cachedTopicHealth } from "./topic-health";

/** Upper bound for one publish, SDK retries included (API Gateway gives up at 29 s). */
const PUBLISH_TIMEOUT_MS = 10_000;
/** Time kept back from the Lambda deadline to answer 502 instead of being killed. */
const RESPONSE_RESERVE_MS = 1_000;
/** Upper bound of the health check's call on the topic. */
const HEALTH_PROBE_TIMEOUT_MS = 2_000;

const logger = new Logger();
// One client per container, reused by every invocation. Region: AWS_REGION.
const sns = new SNSClient({
  maxAttempts: 3,
  requestHandler: { connectionTimeout: 1_000, requestTimeout: 3_000 },
});
/** Can this region publish? One GetTopicAttributes per topic per few seconds, however many checks. */
export const topicHealth = cachedTopicHealth((topicArn) =>
  sns.send(new GetTopicAttributesCommand({ TopicArn: topicArn }), {
    abortSignal: AbortSignal.timeout(HEALTH_PROBE_TIMEOUT_MS),
  }),
);

export async function handler(
  event: APIGatewayProxyEvent,
  context: Context,
): Promise<APIGatewayProxyResult> {
  const requestId = apiRequestId(event);
  logger.resetKeys();
  try {
    if (context !== undefined && context !== null) logger.addContext(context);
    logger.appendKeys({ api_request_id: requestId });
    return await route(event, context, requestId);
  } catch (error) {
    logger.error("Unexpected error while handling the request", { error });
    return errorResponse(500, { message: "Internal error", requestId });
  }
}

function apiRequestId(event: APIGatewayProxyEvent | undefined): string | undefined {
  const id: unknown = event?.requestContext?.requestId;
  return typeof id === "string" ? id : undefined;
}

async function route(
  event: APIGatewayProxyEvent,
  context: Context | undefined,
  requestId: string | undefined,
): Promise<APIGatewayProxyResult> {
  const resolved = resolveRoute(event);
  if (!resolved.ok) {
    logger.info("Request rejected", { status: resolved.status, reason: resolved.message });
    return resolved.status === 405
      ? errorResponse(405, { message: resolved.message, requestId }, { Allow: resolved.allow })
      : errorResponse(404, { message: resolved.message, requestId });
  }

  const caller = callerOf(event, resolved.route === "publish");
  if (!caller.ok) {
    logger.warn("Request refused: not from API Gateway with an IAM identity", {
      reason: caller.message,
    });
    return errorResponse(403, { message: caller.message, requestId });
  }
  logger.appendKeys({ caller_arn: caller.caller.arn, source_ip: caller.caller.sourceIp });

  const config = readConfig(process.env);
  if (!config.ok) {
    logger.error("Function is misconfigured", { problems: config.problems });
    return errorResponse(500, { message: "Service is misconfigured", requestId });
  }

  return resolved.route === "health"
    ? health(config.config)
    : publish(event, context, requestId, config.config);
}

async function health(config: ProducerApiConfig): Promise<APIGatewayProxyResult> {
  const identity = {
    service: config.service,
    stack: config.stack,
    region: config.region,
    topic: config.topicName,
  };
  const topic = await topicHealth(config.topicArn);
  if (!topic.ok) {
    logger.warn("Health check failed: the topic cannot be reached", { reason: topic.reason });
    return jsonResponse(503, {
      message: "This region cannot publish right now",
      reason: topic.reason,
      ...identity,
    });
  }
  return jsonResponse(200, identity);
}

async function publish(
  event: APIGatewayProxyEvent,
  context: Context | undefined,
  requestId: string | undefined,
  config: ProducerApiConfig,
): Promise<APIGatewayProxyResult> {
  const request = parsePublishRequest(event, Date.now(), config.fifo);
  if (!request.ok) {
    logger.info("Request rejected", { status: request.status, reason: request.message });
    return errorResponse(request.status, { message: request.message, requestId });
  }

  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), publishBudget(context));
  try {
    const result = await sns.send(
      new PublishCommand({
        TopicArn: config.topicArn,
        Message: request.message,
        MessageAttributes:
          Object.keys(request.attributes).length > 0 ? request.attributes : undefined,
        MessageGroupId: request.messageGroupId,
        MessageDeduplicationId: request.deduplicationId,
      }),
      { abortSignal: abort.signal },
    );
    const fifo = request.messageGroupId !== undefined && {
      messageGroupId: request.messageGroupId,
      sequenceNumber: result.SequenceNumber,
    };
    logger.info("Message published", {
      message_id: result.MessageId,
      bytes: request.size,
      recorded_at: request.recordedAt,
      ...fifo,
    });
    return jsonResponse(202, {
      messageId: result.MessageId,
      recorded_at: request.recordedAt,
      region: config.region,
      ...fifo,
    });
  } catch (error) {
    const retryable = isRetryablePublishError(error);
    logger.error("SNS publish failed", {
      retryable,
      topic_arn: config.topicArn,
      ...publishErrorDetails(error),
      error,
    });
    return errorResponse(502, {
      message: retryable
        ? "The message could not be published right now; send it again later"
        : "The message could not be published",
      requestId,
      retryable,
    });
  } finally {
    clearTimeout(timer);
  }
}

/** Milliseconds the publish may take: the cap, shortened to answer before the Lambda deadline. */
function publishBudget(context: Context | undefined): number {
  const remaining =
    typeof context?.getRemainingTimeInMillis === "function"
      ? context.getRemainingTimeInMillis()
      : Number.NaN;
  if (!Number.isFinite(remaining)) return PUBLISH_TIMEOUT_MS;
  return Math.max(0, Math.min(PUBLISH_TIMEOUT_MS, remaining - RESPONSE_RESERVE_MS));
}
