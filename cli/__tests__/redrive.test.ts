import {
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
} from "@aws-sdk/client-sqs";
import { mockClient } from "aws-sdk-client-mock";
import { pickQueue, redrive, type RedriveOptions } from "../redrive";
import { drive, outputsFile, testClients } from "./helpers";

const sqsMock = mockClient(SQSClient);
const REPLICA_DLQ_URL =
  "https://sqs.us-west-2.amazonaws.com/123456789012/fanout-primary-replica-us-west-2-dlq";
const REPLICA_DLQ_ARN = "arn:aws:sqs:us-west-2:123456789012:fanout-primary-replica-us-west-2-dlq";

beforeEach(() => {
  sqsMock.reset();
  jest.useFakeTimers();
});
afterEach(() => jest.useRealTimers());

function options(overrides: Partial<RedriveOptions> = {}) {
  const lines: string[] = [];
  const opts: RedriveOptions = {
    sqs: (region) => testClients().sqs(region),
    dlqUrl: REPLICA_DLQ_URL,
    region: "us-west-2",
    wait: true,
    pollIntervalMs: 5000,
    print: (line) => lines.push(line),
    stop: new AbortController().signal,
    ...overrides,
  };
  return { opts, lines };
}

describe("pickQueue", () => {
  const stack = outputsFile().stack("primary");
  it("finds the active queue by name or home region, a replica by region", () => {
    expect(pickQueue(stack, "active").dlqUrl).toMatch(/fanout-primary-active-dlq$/);
    expect(pickQueue(stack, "us-east-1").role).toBe("active");
    expect(pickQueue(stack, "us-west-2").dlqUrl).toBe(REPLICA_DLQ_URL);
  });
  it("throws on an unknown queue, listing the choices", () => {
    expect(() => pickQueue(stack, "eu-west-1")).toThrow(
      'stack "primary" has no queue "eu-west-1" (use one of: active, us-east-1, us-west-2)',
    );
  });
});

describe("redrive", () => {
  it("starts a move task from the DLQ's ARN and polls it until it completes", async () => {
    const regions: string[] = [];
    sqsMock.on(GetQueueAttributesCommand).callsFake(async (_input, getClient) => {
      regions.push(await getClient().config.region());
      return { Attributes: { QueueArn: REPLICA_DLQ_ARN, ApproximateNumberOfMessages: "42" } };
    });
    sqsMock.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: "handle-1" });
    sqsMock
      .on(ListMessageMoveTasksCommand)
      .resolvesOnce({
        Results: [
          {
            TaskHandle: "handle-1",
            Status: "RUNNING",
            ApproximateNumberOfMessagesMoved: 10,
            ApproximateNumberOfMessagesToMove: 42,
          },
        ],
      })
      .resolves({
        Results: [
          {
            Status: "COMPLETED",
            ApproximateNumberOfMessagesMoved: 42,
            ApproximateNumberOfMessagesToMove: 42,
          },
        ],
      });
    const { opts, lines } = options();
    const last = await drive(redrive(opts));

    expect(regions).toEqual(["us-west-2"]);
    expect(sqsMock.commandCalls(GetQueueAttributesCommand)[0].args[0].input).toEqual({
      QueueUrl: REPLICA_DLQ_URL,
      AttributeNames: ["QueueArn", "ApproximateNumberOfMessages"],
    });
    const start = sqsMock.commandCalls(StartMessageMoveTaskCommand);
    expect(start).toHaveLength(1);
    // No DestinationArn: SQS moves the messages back to the queue they came from.
    expect(start[0].args[0].input).toEqual({ SourceArn: REPLICA_DLQ_ARN });
    expect(sqsMock.commandCalls(ListMessageMoveTasksCommand)[0].args[0].input).toMatchObject({
      SourceArn: REPLICA_DLQ_ARN,
    });
    expect(last?.Status).toBe("COMPLETED");
    expect(lines).toEqual([
      `dead-letter queue ${REPLICA_DLQ_ARN} holds about 42 messages`,
      "started message move task back to the source queue: handle-1",
      "RUNNING: 10 of 42 moved",
      "COMPLETED: 42 of 42 moved",
    ]);
  });

  it("passes the rate limit and returns at once with --no-wait", async () => {
    sqsMock.on(GetQueueAttributesCommand).resolves({ Attributes: { QueueArn: REPLICA_DLQ_ARN } });
    sqsMock.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: "h" });
    const { opts } = options({ wait: false, maxPerSecond: 50 });
    await drive(redrive(opts));
    expect(sqsMock.commandCalls(StartMessageMoveTaskCommand)[0].args[0].input).toEqual({
      SourceArn: REPLICA_DLQ_ARN,
      MaxNumberOfMessagesPerSecond: 50,
    });
    expect(sqsMock.commandCalls(ListMessageMoveTasksCommand)).toHaveLength(0);
  });

  it("fails with the task's reason when the move fails", async () => {
    sqsMock.on(GetQueueAttributesCommand).resolves({ Attributes: { QueueArn: REPLICA_DLQ_ARN } });
    sqsMock.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: "h" });
    sqsMock.on(ListMessageMoveTasksCommand).resolves({
      Results: [{ Status: "FAILED", FailureReason: "AWS.SimpleQueueService.NonExistentQueue" }],
    });
    const { opts } = options();
    await expect(drive(redrive(opts))).rejects.toThrow(
      "message move task ended FAILED: AWS.SimpleQueueService.NonExistentQueue",
    );
  });
});
