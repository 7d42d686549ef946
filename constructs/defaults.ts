/**
 * Secure defaults of the constructs, in one place. Props override them; values a construct
 * requires to work (e.g. SSE-SQS on queues SNS writes to) are not overridable.
 */

/** SNS server-side encryption with the AWS-managed key: publishers in the account need no KMS grant. */
export const TOPIC_KMS_KEY = "alias/aws/sns";

/** SNS signs deliveries with SHA256 instead of SHA1. */
export const TOPIC_SIGNATURE_VERSION = 2;

/**
 * Queues use SSE-SQS (SQS-owned keys). A queue encrypted with the AWS-managed `aws/sqs` KMS key
 * silently drops SNS deliveries, because SNS cannot be granted use of that key.
 */
export const QUEUE_SSE_SQS = true;

/** Default retention of a queue, in seconds (4 days, the SQS default). */
export const QUEUE_RETENTION_SECONDS = 4 * 86_400;

/** Default retention of a dead-letter queue, in seconds (14 days, the SQS maximum). */
export const DEAD_LETTER_RETENTION_SECONDS = 14 * 86_400;

/** Default receives before a message moves to the dead-letter queue. */
export const MAX_RECEIVE_COUNT = 5;

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

/** Default function timeout, in seconds. */
export const FUNCTION_TIMEOUT_SECONDS = 30;

/** Default function memory, in MB. */
export const FUNCTION_MEMORY_MB = 256;

/** Default retention of a function's log group, in days. */
export const LOG_RETENTION_DAYS = 14;

/** AWS advises a queue visibility timeout of at least six times the consumer's timeout. */
export const VISIBILITY_TIMEOUT_FACTOR = 6;

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

/** Waiting period before a destroyed alarm-topic key is deleted, in days (7 is the minimum). */
export const ALARM_KEY_DELETION_WINDOW_DAYS = 7;

/** Every alarm evaluates 5-minute periods; a quiet resource (missing data) is not an outage. */
export const ALARM_PERIOD_SECONDS = 300;
export const ALARM_TREAT_MISSING_DATA = "notBreaching";

/** Replicas in active-standby mode alarm when their oldest message reaches this share of retention. */
export const STANDBY_AGE_ALARM_RETENTION_SHARE = 0.8;
