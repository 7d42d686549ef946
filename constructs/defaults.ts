/**
 * Secure defaults of the constructs, in one place. Props override them; values a construct
 * requires to work (e.g. SSE-SQS on queues SNS writes to) are not overridable. A default that
 * is also a user setting is the setting's default (`config/settings.ts`), not a copy of it.
 */
import { SETTINGS } from "../config/settings";

export { VISIBILITY_TIMEOUT_FACTOR } from "../config/settings";

/** SNS server-side encryption with the AWS-managed key: publishers in the account need no KMS grant. */
export const TOPIC_KMS_KEY = "alias/aws/sns";

/** SNS signs deliveries with SHA256 instead of SHA1. */
export const TOPIC_SIGNATURE_VERSION = 2;

/**
 * Queues use SSE-SQS (SQS-owned keys). A queue encrypted with the AWS-managed `aws/sqs` KMS key
 * silently drops SNS deliveries, because SNS cannot be granted use of that key.
 */
export const QUEUE_SSE_SQS = true;

/** Largest message every queue accepts (the producer API refuses what SNS would wrap larger). */
export { QUEUE_MAX_MESSAGE_BYTES } from "../lambdas/shared/sns-envelope";

/** Default retention of a queue, in seconds: the active queue's (4 days, the SQS default). */
export const QUEUE_RETENTION_SECONDS = SETTINGS.activeRetentionSeconds.default;

/** Default retention of a dead-letter queue, in seconds (14 days, the SQS maximum). */
export const DEAD_LETTER_RETENTION_SECONDS = SETTINGS.deadLetterRetentionSeconds.default;

/** Default receives before a message moves to the dead-letter queue. */
export const MAX_RECEIVE_COUNT = SETTINGS.maxReceiveCount.default;

/** Default visibility timeout of a queue, in seconds (the SQS default). */
export const VISIBILITY_TIMEOUT_SECONDS = 30;

/** Actions denied on a topic when the caller does not use TLS. */
export const TOPIC_ACTIONS = [
  "sns:Publish",
  "sns:Subscribe",
  "sns:Receive",
  "sns:GetTopicAttributes",
  "sns:SetTopicAttributes",
  "sns:AddPermission",
  "sns:RemovePermission",
  "sns:DeleteTopic",
  "sns:ListSubscriptionsByTopic",
];

/** Lambda runtime of every function (nodejs20.x is deprecated). */
export const FUNCTION_RUNTIME = "nodejs22.x";

/** Lambda architecture of every function: Graviton, cheaper per GB-second. */
export const FUNCTION_ARCHITECTURE = "arm64";

/** Default function timeout, in seconds: the consumer's (30 s). */
export const FUNCTION_TIMEOUT_SECONDS = SETTINGS.consumerTimeoutSeconds.default;

/** Default function memory, in MB: the consumer's (256 MB). */
export const FUNCTION_MEMORY_MB = SETTINGS.consumerMemoryMb.default;

/** Default retention of a function's log group, in days (14). */
export const LOG_RETENTION_DAYS = SETTINGS.logRetentionDays.default;

/** Default records per consumer invocation (10). */
export const CONSUMER_BATCH_SIZE = SETTINGS.batchSize.default;

/** Default time the SQS poller waits to fill a batch, in seconds (0: lowest latency). */
export const CONSUMER_BATCHING_WINDOW_SECONDS = SETTINGS.batchingWindowSeconds.default;

/** Default maximum concurrent invocations of a consumer (5). */
export const CONSUMER_MAX_CONCURRENCY = SETTINGS.maxConcurrency.default;

/** Actions a consumer needs on its queue; GetQueueAttributes is checked by the event source mapping. */
export const CONSUMER_QUEUE_ACTIONS = [
  "sqs:ReceiveMessage",
  "sqs:DeleteMessage",
  "sqs:ChangeMessageVisibility",
  "sqs:GetQueueAttributes",
];

/** Stage of every producer API. */
export const API_STAGE_NAME = "v1";

/** Timeout of the producer API function: API Gateway gives up at 29 s; SNS answers in far less. */
export const API_TIMEOUT_SECONDS = 10;

/**
 * What the producer API stage logs of every request, one JSON object per line: who called
 * (IAM caller and its ARN, source IP), what (method, route, path), and how it ended (status,
 * latencies, API Gateway's error type such as THROTTLED or MISSING_AUTHENTICATION_TOKEN).
 * Headers the caller controls (user agent) stay out: a quote in them would break the JSON.
 */
export const API_ACCESS_LOG_FORMAT = JSON.stringify({
  requestId: "$context.requestId",
  extendedRequestId: "$context.extendedRequestId",
  requestTimeEpoch: "$context.requestTimeEpoch",
  sourceIp: "$context.identity.sourceIp",
  caller: "$context.identity.caller",
  userArn: "$context.identity.userArn",
  accountId: "$context.identity.accountId",
  httpMethod: "$context.httpMethod",
  resourcePath: "$context.resourcePath",
  path: "$context.path",
  protocol: "$context.protocol",
  status: "$context.status",
  responseLength: "$context.responseLength",
  responseLatencyMs: "$context.responseLatency",
  integrationLatencyMs: "$context.integrationLatency",
  integrationStatus: "$context.integration.status",
  errorType: "$context.error.responseType",
});

/** Waiting period before a destroyed alarm-topic key is deleted, in days (7 is the minimum). */
export const ALARM_KEY_DELETION_WINDOW_DAYS = 7;

/** Every alarm evaluates 5-minute periods; a quiet resource (missing data) is not an outage. */
export const ALARM_PERIOD_SECONDS = 300;
export const ALARM_TREAT_MISSING_DATA = "notBreaching";

/**
 * Replicas in active-standby mode, once their consumer runs (after a failover), alarm when their
 * oldest message stays at this share of retention.
 */
export const STANDBY_AGE_ALARM_RETENTION_SHARE = 0.8;

/**
 * Share of a topic's expected deliveries (publishes x subscriptions) missing in a period above
 * which the fan-out alarm counts the period: leaves room for deliveries that cross a period's end.
 */
export const FAN_OUT_MISSING_SHARE = 0.1;
