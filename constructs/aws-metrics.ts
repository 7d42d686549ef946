/** AWS-published metrics: their namespaces, dimensions and the names this project reads. */

/** AWS-published metrics the dashboard and alarms read, with the dimensions each needs. */
export const AWS_METRICS = {
  sqs: {
    namespace: "AWS/SQS",
    dimensions: ["QueueName"],
    names: [
      "ApproximateNumberOfMessagesVisible",
      "ApproximateAgeOfOldestMessage",
      "NumberOfMessagesReceived",
      "NumberOfMessagesSent",
    ],
  },
  sns: {
    namespace: "AWS/SNS",
    dimensions: ["TopicName"],
    names: [
      "NumberOfMessagesPublished",
      "NumberOfNotificationsDelivered",
      "NumberOfNotificationsFailed",
      "NumberOfNotificationsFailedToRedriveToDlq",
    ],
  },
  lambda: {
    namespace: "AWS/Lambda",
    dimensions: ["FunctionName"],
    names: ["Invocations", "Errors", "Throttles", "Duration"],
  },
  apiGateway: {
    namespace: "AWS/ApiGateway",
    dimensions: ["ApiName", "Stage"],
    names: ["Count", "4XXError", "5XXError", "Latency"],
  },
} as const;
