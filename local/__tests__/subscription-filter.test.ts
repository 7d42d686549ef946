/**
 * Subscription filter policies and raw message delivery on the emulator, through the AWS SDK:
 * a message that does not match is not delivered to the filtered queue, a raw delivery carries
 * the published body and attributes, and the emulator's own check of a policy agrees with the
 * synth-time check (`config/filter-policy.ts`) on SNS's documented limits.
 */
import {
  CreateTopicCommand,
  PublishCommand,
  SetSubscriptionAttributesCommand,
  SNSClient,
  SubscribeCommand,
} from "@aws-sdk/client-sns";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { filterPolicyProblem, type FilterPolicyScope } from "../../config/filter-policy";
import { emulatorClientConfig, emulatorSuite, useEmulator } from "./support/emulator";

emulatorSuite("subscription filters on the emulator")(
  "subscription filters on the emulator",
  () => {
    const emulator = useEmulator("subscription-filter");
    let sns: SNSClient;
    let sqs: SQSClient;
    let topicArn: string;

    beforeAll(async () => {
      sns = new SNSClient(emulatorClientConfig(emulator().info));
      sqs = new SQSClient(emulatorClientConfig(emulator().info));
      ({ TopicArn: topicArn = "" } = await sns.send(new CreateTopicCommand({ Name: "filters" })));
    });
    afterAll(() => {
      sns?.destroy();
      sqs?.destroy();
    });

    /** A queue subscribed to the topic with the given subscription attributes. */
    async function subscribedQueue(name: string, attributes: Record<string, string>) {
      const { QueueUrl = "" } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
      const { Attributes } = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }),
      );
      const { SubscriptionArn = "" } = await sns.send(
        new SubscribeCommand({
          TopicArn: topicArn,
          Protocol: "sqs",
          Endpoint: Attributes?.QueueArn,
          Attributes: attributes,
          ReturnSubscriptionArn: true,
        }),
      );
      return { QueueUrl, SubscriptionArn };
    }

    async function bodiesIn(queueUrl: string) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 10,
          MessageAttributeNames: ["All"],
        }),
      );
      return Messages;
    }

    const publish = (body: object, kind: string) =>
      sns.send(
        new PublishCommand({
          TopicArn: topicArn,
          Message: JSON.stringify(body),
          MessageAttributes: { kind: { DataType: "String", StringValue: kind } },
        }),
      );

    it("delivers to a filtered queue only what matches, raw when asked, and everything elsewhere", async () => {
      const { QueueUrl: orders } = await subscribedQueue("orders-raw", {
        FilterPolicy: JSON.stringify({ kind: ["order"] }),
        RawMessageDelivery: "true",
      });
      const { QueueUrl: bySeq } = await subscribedQueue("body-filtered", {
        FilterPolicy: JSON.stringify({ seq: [{ numeric: [">", 1] }] }),
        FilterPolicyScope: "MessageBody",
      });
      const { QueueUrl: everything } = await subscribedQueue("everything", {});

      await publish({ seq: 1, recorded_at: 1_732_417_200_000 }, "order");
      await publish({ seq: 2, recorded_at: 1_732_417_200_001 }, "test");

      const raw = await bodiesIn(orders);
      expect(raw.map((m) => JSON.parse(m.Body!))).toEqual([
        { seq: 1, recorded_at: 1_732_417_200_000 },
      ]);
      expect(raw[0].MessageAttributes?.kind?.StringValue).toBe("order");

      const enveloped = await bodiesIn(bySeq);
      expect(enveloped.map((m) => JSON.parse(JSON.parse(m.Body!).Message).seq)).toEqual([2]);
      expect((await bodiesIn(everything)).length).toBe(2);
    });

    it.each<[string, object, FilterPolicyScope]>([
      ["five keys", { a: ["1"], b: ["1"], c: ["1"], d: ["1"], e: ["1"] }, "MessageAttributes"],
      [
        "six keys",
        { a: ["1"], b: ["1"], c: ["1"], d: ["1"], e: ["1"], f: ["1"] },
        "MessageAttributes",
      ],
      [
        "150 combinations",
        { a: Array.from({ length: 150 }, (_, i) => `v${i}`) },
        "MessageAttributes",
      ],
      [
        "151 combinations",
        { a: Array.from({ length: 151 }, (_, i) => `v${i}`) },
        "MessageAttributes",
      ],
      ["nesting by attributes", { a: { b: ["1"] } }, "MessageAttributes"],
      ["nesting by body", { a: { b: ["1"] } }, "MessageBody"],
      ["an unknown operator", { a: [{ wildcard: "x*" }] }, "MessageAttributes"],
      ["exists not a boolean", { a: [{ exists: "yes" }] }, "MessageAttributes"],
      ["a numeric range upside down", { a: [{ numeric: [">", 5, "<", 1] }] }, "MessageAttributes"],
      [
        "every operator",
        { a: [{ prefix: "x" }, { suffix: "y" }, { "anything-but": ["z"] }] },
        "MessageBody",
      ],
    ])("agrees with the synth-time check on %s", async (name, policy, scope) => {
      const { SubscriptionArn } = await subscribedQueue(`check-${name.replace(/\W+/g, "-")}`, {});
      const set = (name: string, value: string) =>
        sns.send(
          new SetSubscriptionAttributesCommand({
            SubscriptionArn,
            AttributeName: name,
            AttributeValue: value,
          }),
        );
      await set("FilterPolicyScope", scope);
      const emulatorAccepts = await set("FilterPolicy", JSON.stringify(policy)).then(
        () => true,
        () => false,
      );
      expect(emulatorAccepts).toBe(filterPolicyProblem(policy, scope) === undefined);
    });
  },
);
