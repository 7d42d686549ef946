/**
 * A FIFO unit's active leg against the emulator: the topic, the active queue and its DLQ and the
 * subscription created as the stack synthesizes them (`fifo` on, a 1 s consumer timeout and a
 * maxReceiveCount of 2, so retries take seconds), the stack's consumer package run by the local
 * function host with the stack's environment, fed by the runtime's poller with the mapping's
 * batch size and concurrency.
 *
 * Two message groups are published interleaved, as the CLI publishes (group, deduplication id =
 * idempotency key, the `idempotency_key` attribute): a1 b1 a2 b2, a2 malformed; then, while a2
 * waits out its visibility timeout, a3 b3 and a resend of b2. What the FIFO unit promises: each
 * group processed in order; B goes on while A is stuck; a3 held back (HeldBack) behind a2 until
 * maxReceiveCount moves a2 to the FIFO DLQ, then processed; the resend dropped.
 *
 * a3 is published after a2's first failure on purpose: a record held back is received, so its
 * receive count grows with the failing record's, and a3 received with a2 from the start would
 * reach maxReceiveCount with it and follow it to the DLQ (as in AWS; see docs/local.md).
 *
 * Then the stack's producer API, served as the local runtime serves it, in front of the same
 * topic: a signed POST /messages answers its group and sequence number and reaches the queue
 * with them, one without `message_group_id` is refused, a resend with the same key delivered once.
 */
import { join } from "node:path";
import { CreateTopicCommand, SNSClient, SubscribeCommand } from "@aws-sdk/client-sns";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import type { AwsClients } from "../../cli/aws";
import { signApiRequest } from "../../cli/api-post";
import { nodeHttpClient, type HttpClient, type HttpResponse } from "../../cli/http";
import { createSender, type Message, type Target } from "../../cli/senders";
import { defaultConfig, stackJsons, synthOutdir } from "../../__tests__/support/synth";
import { StackIndex } from "../../inspect/stack-index";
import type { Block } from "../../inspect/terraform-json";
import type { EmfBlob } from "../../lambdas/consumer/__tests__/factories";
import { CONSUMER_ENV } from "../../lambdas/consumer/env";
import { IDEMPOTENCY_HEADER } from "../../lambdas/producer-api/attributes";
import { ENV_TOPIC_ARN } from "../../lambdas/producer-api/env";
import { MESSAGE_GROUP_FIELD } from "../../lambdas/producer-api/fifo";
import { HELD_BACK_METRIC } from "../../lambdas/shared/metrics";
import { ApiServer } from "../runtime/api";
import { createFunctionHost, type FunctionHost } from "../runtime/functions";
import { openJournal, type Journal } from "../runtime/journal";
import { createPoller, messageKeysOf, sqsRecordOf } from "../runtime/poller";
import type { DeliveryRecord, DeployedMapping, QueuePoller } from "../runtime/types";
import { emulatorClientConfig, emulatorSuite, until, useEmulator } from "./support/emulator";
import {
  deployedApiOf,
  deployedFunctionOf,
  deployedMappingOf,
  EMULATOR_ACCOUNT,
  queueAttributes,
  regionOfBlock,
} from "./support/synthesized";

/** A FIFO unit whose failing record reaches its DLQ in seconds (as the end-to-end suite's). */
const FIFO = {
  FANOUT_FIFO: "true",
  FANOUT_CONSUMER_TIMEOUT_SECONDS: "1",
  FANOUT_MAX_RECEIVE_COUNT: "2",
  FANOUT_ALLOW_LOW_MAX_RECEIVE_COUNT: "true",
};
const STACK = "primary";

type Body = Record<string, unknown>;

/** One of the test's messages: its idempotency key is its name (`a1`), its group the letter. */
function message(name: string, seq: number, recordedAt = Date.now()): Message {
  return { id: name, seq, producer: "fifo-live", recorded_at: recordedAt };
}

emulatorSuite("FIFO unit on the emulator")("FIFO unit on the emulator", () => {
  const emulator = useEmulator("fifo-live");
  let sqs: SQSClient;
  let sns: SNSClient;
  let host: FunctionHost;
  let poller: QueuePoller;
  let journal: Journal;
  let mapping: DeployedMapping;
  let dlqUrl: string;
  let maxReceiveCount: number;
  let records: DeliveryRecord[];
  let index: StackIndex;
  let stackDir: string;
  let topicArn: string;
  const lines: string[] = [];
  const warnings: string[] = [];

  beforeAll(async () => {
    const { info, stateDir } = emulator();
    const config = defaultConfig(FIFO);
    const stack = stackJsons(config).find((s) => s.name === STACK)!;
    index = new StackIndex(stack);
    stackDir = join(synthOutdir(config), "stacks", STACK);

    // The active leg as synthesized: consumer -> mapping -> queue -> DLQ, subscription, topic.
    const fnBlock = index
      .resources("aws_lambda_function")
      .find(
        (f) =>
          (f.body.environment as { variables: Body }).variables[CONSUMER_ENV.queueRole] ===
          "active",
      )!;
    const mappingBlock = index
      .resources("aws_lambda_event_source_mapping")
      .find((m) => index.target(m.body.function_name, ["arn"]) === fnBlock)!;
    const queueBlock = index.target(mappingBlock.body.event_source_arn, ["arn"])!;
    const redrive = index.redrive(queueBlock.body.redrive_policy);
    const dlqBlock = redrive.target!;
    maxReceiveCount = redrive.receives!;
    const subscription = index
      .resources("aws_sns_topic_subscription")
      .find((s) => index.target(s.body.endpoint, ["arn"]) === queueBlock)!;
    const topicBlock = index.target(subscription.body.topic_arn, ["arn"]) as Block;
    const region = regionOfBlock(index, queueBlock);

    sqs = new SQSClient(emulatorClientConfig(info, region));
    sns = new SNSClient(emulatorClientConfig(info, regionOfBlock(index, topicBlock)));
    const arnOf = (name: string) => `arn:aws:sqs:${region}:${EMULATOR_ACCOUNT}:${name}`;
    const dlq = await sqs.send(
      new CreateQueueCommand({
        QueueName: String(dlqBlock.body.name),
        Attributes: queueAttributes(dlqBlock.body),
      }),
    );
    dlqUrl = dlq.QueueUrl!;
    const queueName = String(queueBlock.body.name);
    const redrivePolicy = JSON.stringify({
      deadLetterTargetArn: arnOf(String(dlqBlock.body.name)),
      maxReceiveCount,
    });
    const queue = await sqs.send(
      new CreateQueueCommand({
        QueueName: queueName,
        Attributes: queueAttributes(queueBlock.body, redrivePolicy),
      }),
    );
    const topic = await sns.send(
      new CreateTopicCommand({
        Name: String(topicBlock.body.name),
        Attributes: {
          FifoTopic: String(topicBlock.body.fifo_topic),
          ContentBasedDeduplication: String(topicBlock.body.content_based_deduplication),
        },
      }),
    );
    topicArn = topic.TopicArn!;
    await sns.send(
      new SubscribeCommand({
        TopicArn: topicArn,
        Protocol: String(subscription.body.protocol),
        Endpoint: arnOf(queueName),
        Attributes: { RawMessageDelivery: String(subscription.body.raw_message_delivery) },
      }),
    );

    const fn = deployedFunctionOf(index, stackDir, fnBlock);
    mapping = deployedMappingOf(index, mappingBlock, fn, {
      url: queue.QueueUrl!,
      arn: arnOf(queueName),
    });
    journal = openJournal(join(stateDir, "fifo-deliveries.jsonl"));
    host = createFunctionHost(fn, {
      stateDir,
      endpointUrl: info.url,
      maxEnvironments: mapping.maxConcurrency,
      onLog: (line) => lines.push(line),
      onWarning: (warning) => warnings.push(warning),
    });
    poller = createPoller(mapping, host, { sqs, journal });

    // Published as the CLI publishes to a FIFO unit (no HTTP: the SNS path only).
    const aws = { sns: () => sns, sqs: () => sqs } as unknown as AwsClients;
    const sender = createSender(
      "sns",
      {
        aws,
        http: undefined as unknown as HttpClient,
        credentials: () => emulatorClientConfig(info).credentials,
      },
      false,
      {},
      { groupOf: (m) => (m.seq < 100 ? "group-a" : "group-b"), description: "a and b" },
    );
    const target: Target = { stack: STACK, region, address: topicArn };
    const a = (n: number, recordedAt?: number) => message(`a${n}`, n, recordedAt);
    const b = (n: number) => message(`b${n}`, 100 + n);
    const publish = async (...messages: Message[]) => {
      for (const result of await sender.send(target, messages)) expect(result.ok).toBe(true);
    };
    // a2's recorded_at is not a number (JSON null): the consumer rejects it, every time.
    await publish(a(1), b(1), a(2, Number.NaN), b(2));
    poller.start();
    await until("a2's first failure", async () =>
      (await journal.read()).some((r) => r.idempotencyKey === "a2") ? true : undefined,
    );
    await publish(a(3), b(3), b(2));
    records = await until(
      "a3 processed",
      async () => {
        const read = await journal.read();
        const done = read.some((r) => r.idempotencyKey === "a3" && r.outcome === "processed");
        return done ? read : undefined;
      },
      25_000,
    );
    await poller.stop();
  }, 60_000);

  afterAll(async () => {
    await poller?.stop();
    await host?.close();
    journal?.close();
    sqs?.destroy();
    sns?.destroy();
  }, 30_000);

  /** The journal's deliveries of one message, in order. */
  const deliveriesOf = (key: string) => records.filter((r) => r.idempotencyKey === key);
  /** Position of a message's last delivery with `outcome` in the journal. */
  const positionOf = (key: string, outcome: DeliveryRecord["outcome"]) =>
    records.map((r) => r.idempotencyKey === key && r.outcome === outcome).lastIndexOf(true);

  it("processes each group in order, every message once", () => {
    const processed = records.filter((r) => r.outcome === "processed").map((r) => r.idempotencyKey);
    expect(processed.filter((key) => key?.startsWith("a"))).toEqual(["a1", "a3"]);
    expect(processed.filter((key) => key?.startsWith("b"))).toEqual(["b1", "b2", "b3"]);
    expect(records.every((r) => r.snsMessageId !== undefined)).toBe(true);
  });

  it("drops a resend with the same deduplication id within the window", () => {
    expect(deliveriesOf("b2")).toHaveLength(1);
  });

  it("goes on with group B while group A is stuck behind a2", () => {
    const a2 = deliveriesOf("a2");
    expect(a2.map((r) => [r.outcome, r.receiveCount])).toEqual([
      ["failed", 1],
      ["failed", maxReceiveCount],
    ]);
    // b3 was published with a3 and processed before a2 came back for its last try.
    expect(positionOf("b3", "processed")).toBeLessThan(records.lastIndexOf(a2[a2.length - 1]));
  });

  it("holds a3 back behind a2 until a2 left for the DLQ, then processes it", () => {
    const a3 = deliveriesOf("a3");
    const lastA2 = records.lastIndexOf(deliveriesOf("a2").at(-1)!);
    // Handed out with a2's last try (same batch) and returned unprocessed; then alone.
    expect(a3.map((r) => r.outcome)).toEqual(["failed", "processed"]);
    expect(a3[0].at).toBe(records[lastA2].at);
    expect(positionOf("a3", "processed")).toBeGreaterThan(lastA2);
  });

  it("counts the held-back record as HeldBack in the consumer's EMF", () => {
    const blobs = lines
      .filter((line) => line.startsWith("{") && line.includes('"_aws"'))
      .map((line) => JSON.parse(line) as EmfBlob)
      .filter((blob) => !("Reason" in blob));
    expect(blobs.every((blob) => HELD_BACK_METRIC.name in blob)).toBe(true);
    expect(blobs).toContainEqual(
      expect.objectContaining({ BatchSize: 2, Failed: 1, [HELD_BACK_METRIC.name]: 1 }),
    );
    expect(blobs[0]._aws.CloudWatchMetrics[0].Metrics).toContainEqual({
      Name: HELD_BACK_METRIC.name,
      Unit: "Count",
    });
    expect(warnings).toEqual([]);
  });

  it("moves a2 to the FIFO DLQ with its group, and leaves the queue empty", async () => {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: dlqUrl,
        MaxNumberOfMessages: 10,
        MessageSystemAttributeNames: ["All"],
        MessageAttributeNames: ["All"],
      }),
    );
    expect(Messages).toHaveLength(1);
    const record = sqsRecordOf(Messages[0], mapping);
    expect(messageKeysOf(record).idempotencyKey).toBe("a2");
    expect(record.attributes).toMatchObject({
      MessageGroupId: "group-a",
      MessageDeduplicationId: "a2",
    });
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: mapping.queueUrl,
        AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
      }),
    );
    expect(Attributes).toEqual({
      ApproximateNumberOfMessages: "0",
      ApproximateNumberOfMessagesNotVisible: "0",
    });
  });

  describe("the producer API of the same stack", () => {
    let apiHost: FunctionHost;
    let server: ApiServer;
    let accepted: HttpResponse;
    let resent: HttpResponse;
    let missing: HttpResponse;
    const depths: string[] = [];

    const depth = async () => {
      const { Attributes } = await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: mapping.queueUrl,
          AttributeNames: ["ApproximateNumberOfMessages"],
        }),
      );
      return Attributes!.ApproximateNumberOfMessages!;
    };

    beforeAll(async () => {
      const { info, stateDir } = emulator();
      const { api, functions } = deployedApiOf(
        index,
        index.resources("aws_api_gateway_rest_api")[0],
      );
      expect(functions).toHaveLength(1);
      const fn = deployedFunctionOf(index, stackDir, functions[0]);
      apiHost = createFunctionHost(
        { ...fn, environment: { ...fn.environment, [ENV_TOPIC_ARN]: topicArn } },
        { stateDir, endpointUrl: info.url, maxEnvironments: 1 },
      );
      server = new ApiServer({ api, invokerFor: () => apiHost });
      await server.start();
      const post = async (body: Body, key: string) => {
        const url = `${server.url}/messages`;
        const text = JSON.stringify(body);
        const headers = await signApiRequest({
          method: "POST",
          url,
          region: api.region,
          headers: { "content-type": "application/json", [IDEMPOTENCY_HEADER]: key },
          body: text,
          credentials: emulatorClientConfig(info).credentials,
        });
        return nodeHttpClient({ method: "POST", url, headers, body: text });
      };
      const body = (id: string): Body => ({ id, seq: 1, producer: "fifo-live-api" });

      depths.push(await depth());
      missing = await post(body("api-0"), "api-0");
      depths.push(await depth());
      const grouped = { ...body("api-1"), [MESSAGE_GROUP_FIELD]: "group-api" };
      accepted = await post(grouped, "api-1");
      resent = await post(grouped, "api-1");
    }, 30_000);

    afterAll(async () => {
      await server?.close();
      await apiHost?.close();
    }, 30_000);

    it("answers a POST with its message group and a sequence number", () => {
      expect(accepted.status).toBe(202);
      expect(JSON.parse(accepted.body)).toMatchObject({
        messageGroupId: "group-api",
        sequenceNumber: expect.stringMatching(/^\d+$/),
      });
    });

    it(`refuses a POST without "${MESSAGE_GROUP_FIELD}" with a JSON 400 and publishes nothing`, () => {
      expect(missing.status).toBe(400);
      expect(JSON.parse(missing.body)).toMatchObject({
        message: expect.stringMatching(new RegExp(`^"${MESSAGE_GROUP_FIELD}" is required`)),
      });
      expect(depths).toEqual(["0", "0"]);
    });

    it("delivers the message once, resent with the same key, with its group and key", async () => {
      expect(resent.status).toBe(202);
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: mapping.queueUrl,
          MaxNumberOfMessages: 10,
          MessageSystemAttributeNames: ["MessageGroupId", "MessageDeduplicationId"],
          MessageAttributeNames: ["All"],
        }),
      );
      expect(Messages).toHaveLength(1);
      expect(Messages[0].Attributes).toEqual({
        MessageGroupId: "group-api",
        MessageDeduplicationId: "api-1",
      });
      const record = sqsRecordOf(Messages[0], mapping);
      expect(messageKeysOf(record).idempotencyKey).toBe("api-1");
    });
  });
});
