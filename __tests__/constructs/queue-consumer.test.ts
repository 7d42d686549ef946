import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { Testing, TerraformStack } from "cdktf";
import { QueueConsumer } from "../../constructs/queue-consumer";

describe("QueueConsumer", () => {
  function consumerWith(
    visibilityTimeoutSeconds: number | undefined,
    timeoutSeconds: number,
    batchingWindowSeconds?: number,
  ) {
    const stack = new TerraformStack(Testing.app(), "test");
    const provider = new AwsProvider(stack, "aws", { region: "us-east-1", alias: "us-east-1" });
    const queue = new SqsQueue(stack, "queue", { provider, name: "q", visibilityTimeoutSeconds });
    return () =>
      new QueueConsumer(stack, "consumer", {
        queue,
        functionName: "q-consumer",
        unitName: "fanout-test",
        stack: "test",
        role: "active",
        timeoutSeconds,
        batchingWindowSeconds,
      });
  }

  it("throws when the queue's visibility timeout is below six function timeouts", () => {
    expect(consumerWith(179, 30)).toThrow(
      "QueueConsumer q-consumer: queue visibility timeout 179 s is below 6 x function timeout 30 s; allowed: at least 180 s",
    );
  });

  it("throws when the queue keeps the SQS default visibility timeout", () => {
    expect(consumerWith(undefined, 30)).toThrow(/queue visibility timeout 30 s is below/);
  });

  it("accepts exactly six function timeouts", () => {
    expect(consumerWith(60, 10)).not.toThrow();
  });

  it("throws when the visibility timeout does not also cover the batching window", () => {
    // The poller holds received messages for the window, then the function runs.
    expect(consumerWith(180, 30, 300)).toThrow(
      "QueueConsumer q-consumer: queue visibility timeout 180 s is below 6 x function timeout 30 s + batching window 300 s; allowed: at least 480 s",
    );
    expect(consumerWith(480, 30, 300)).not.toThrow();
  });
});
