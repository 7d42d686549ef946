import { criticalPath, SQS_PROPAGATION_WAIT_SECONDS } from "../critical-path";

const resource = (type: string, name: string, dependencies: string[] = []) => ({
  mode: "managed",
  type,
  name,
  instances: [{ dependencies }],
});

describe("criticalPath", () => {
  it("is the longest chain of SQS propagation waits through the dependencies", () => {
    const state = {
      resources: [
        resource("aws_sqs_queue", "dlq"),
        resource("aws_sqs_queue", "queue", ["aws_sqs_queue.dlq"]),
        resource("aws_sqs_queue_policy", "policy", ["aws_sqs_queue.queue", "aws_sns_topic.topic"]),
        resource("aws_sns_topic", "topic"),
        resource("aws_sns_topic_subscription", "sub", ["aws_sqs_queue_policy.policy"]),
        resource("aws_sqs_queue_redrive_allow_policy", "allow", ["aws_sqs_queue.dlq"]),
      ],
    };
    expect(criticalPath(state)).toEqual({
      seconds: 3 * SQS_PROPAGATION_WAIT_SECONDS,
      chain: ["aws_sqs_queue.dlq", "aws_sqs_queue.queue", "aws_sqs_queue_policy.policy"],
    });
  });

  it("is zero without SQS resources, and survives a cycle and dangling references", () => {
    expect(
      criticalPath({ resources: [resource("aws_sns_topic", "t", ["aws_x.gone"])] }).seconds,
    ).toBe(0);
    const cyclic = {
      resources: [
        resource("aws_sqs_queue", "a", ["aws_sqs_queue.b"]),
        resource("aws_sqs_queue", "b", ["aws_sqs_queue.a"]),
      ],
    };
    expect(criticalPath(cyclic).seconds).toBe(2 * SQS_PROPAGATION_WAIT_SECONDS);
    expect(criticalPath({}).seconds).toBe(0);
  });
});
