import { tmpdir } from "node:os";
import {
  defaultConfig,
  normalized,
  ref,
  resources,
  resourceWhere,
  statementsOf,
  synthAll,
} from "../support/synth";

const config = defaultConfig();
const stacks = synthAll(config);

describe.each(config.units.map((u) => [u.stack, u] as const))("stack %s", (name, unit) => {
  const { json, text } = stacks[name];
  const home = unit.homeRegion;
  const [topicId, topic] = resourceWhere(json, "aws_sns_topic", "name", `fanout-${name}-topic`);
  const topicArn = ref("aws_sns_topic", topicId, "arn");

  it("matches the snapshot", () => {
    expect(normalized(json)).toMatchSnapshot();
  });

  it("has one aliased provider per configured region, with default tags", () => {
    expect(json.provider.aws).toEqual(
      config.regions.map((region) => ({
        alias: region,
        region,
        default_tags: [{ tags: { project: "fanout", stack: name, "managed-by": "cdktf" } }],
      })),
    );
  });

  it("gives every resource and data source an explicit provider", () => {
    const all = [...Object.values(json.resource), ...Object.values(json.data ?? {})];
    for (const byId of all) {
      for (const r of Object.values(byId)) expect(config.regions).toContain(providerRegion(r));
    }
  });

  it("keeps local state at a relative path", () => {
    expect(json.terraform.backend).toEqual({
      local: { path: `../../../terraform.${name}.tfstate` },
    });
  });

  it("holds no absolute path of this machine", () => {
    expect(text).not.toContain(process.cwd());
    expect(text).not.toContain(tmpdir());
    expect(text).not.toMatch(/"\/(?!aws\/)[^"]*"/);
  });

  it("encrypts the topic in the home region and denies non-TLS access to it", () => {
    expect(topic).toMatchObject({
      name: `fanout-${name}-topic`,
      kms_master_key_id: "alias/aws/sns",
      provider: `aws.${home}`,
    });
    const [, policy] = resourceWhere(json, "aws_sns_topic_policy", "arn", topicArn);
    expect(policy.provider).toBe(`aws.${home}`);
    expect(statementsOf(json, policy.policy)).toEqual([
      expect.objectContaining({
        effect: "Deny",
        actions: expect.arrayContaining(["sns:Publish", "sns:Subscribe"]),
        resources: [topicArn],
        condition: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
      }),
    ]);
  });

  describe.each(unit.names.queues.map((q) => [`${q.role} queue in ${q.region}`, q] as const))(
    "%s",
    (_, names) => {
      const [queueId, queue] = resourceWhere(json, "aws_sqs_queue", "name", names.queue);
      const [dlqId, dlq] = resourceWhere(json, "aws_sqs_queue", "name", names.deadLetterQueue);
      const [deliveryId, delivery] = resourceWhere(
        json,
        "aws_sqs_queue",
        "name",
        names.deliveryDeadLetterQueue,
      );
      const queueArn = ref("aws_sqs_queue", queueId, "arn");

      it("lives in its region with SSE-SQS and the configured retention", () => {
        expect(queue).toMatchObject({
          provider: `aws.${names.region}`,
          sqs_managed_sse_enabled: true,
          visibility_timeout_seconds: 180,
          message_retention_seconds:
            names.role === "active"
              ? config.queues.activeRetentionSeconds
              : config.queues.replicaRetentionSeconds,
        });
        expect(queue).not.toHaveProperty("kms_master_key_id");
      });

      it("redrives to its own dead-letter queue in the same region after 5 receives", () => {
        expect(JSON.parse(String(queue.redrive_policy))).toEqual({
          deadLetterTargetArn: ref("aws_sqs_queue", dlqId, "arn"),
          maxReceiveCount: 5,
        });
        expect(dlq).toMatchObject({
          provider: `aws.${names.region}`,
          sqs_managed_sse_enabled: true,
          message_retention_seconds: 1209600,
        });
        const [, allow] = resourceWhere(
          json,
          "aws_sqs_queue_redrive_allow_policy",
          "queue_url",
          ref("aws_sqs_queue", dlqId, "url"),
        );
        expect(JSON.parse(String(allow.redrive_allow_policy))).toEqual({
          redrivePermission: "byQueue",
          sourceQueueArns: [queueArn],
        });
      });

      it("lets only this stack's topic send, over TLS only", () => {
        const [, policy] = resourceWhere(
          json,
          "aws_sqs_queue_policy",
          "queue_url",
          ref("aws_sqs_queue", queueId, "url"),
        );
        expect(policy.provider).toBe(`aws.${names.region}`);
        expect(statementsOf(json, policy.policy)).toEqual([
          {
            sid: "AllowTopicSendMessage",
            effect: "Allow",
            principals: [{ type: "Service", identifiers: ["sns.amazonaws.com"] }],
            actions: ["sqs:SendMessage"],
            resources: [queueArn],
            condition: [{ test: "ArnEquals", variable: "aws:SourceArn", values: [topicArn] }],
          },
          tlsOnly(queueArn),
        ]);
      });

      it("gives the dead-letter queue a TLS-only policy that grants nothing", () => {
        const [, policy] = resourceWhere(
          json,
          "aws_sqs_queue_policy",
          "queue_url",
          ref("aws_sqs_queue", dlqId, "url"),
        );
        expect(statementsOf(json, policy.policy)).toEqual([
          tlsOnly(ref("aws_sqs_queue", dlqId, "arn")),
        ]);
      });

      it("is subscribed once, by the topic's provider, with a delivery DLQ in the home region", () => {
        const subs = resources(json, "aws_sns_topic_subscription").filter(
          ([, s]) => s.endpoint === queueArn,
        );
        expect(subs).toHaveLength(1);
        expect(subs[0][1]).toMatchObject({
          provider: `aws.${home}`,
          topic_arn: topicArn,
          protocol: "sqs",
          raw_message_delivery: false,
        });
        expect(JSON.parse(String(subs[0][1].redrive_policy))).toEqual({
          deadLetterTargetArn: ref("aws_sqs_queue", deliveryId, "arn"),
        });
        expect(delivery).toMatchObject({ provider: `aws.${home}`, sqs_managed_sse_enabled: true });
        const [, policy] = resourceWhere(
          json,
          "aws_sqs_queue_policy",
          "queue_url",
          ref("aws_sqs_queue", deliveryId, "url"),
        );
        expect(statementsOf(json, policy.policy)[0]).toMatchObject({
          effect: "Allow",
          actions: ["sqs:SendMessage"],
          condition: [{ test: "ArnEquals", variable: "aws:SourceArn", values: [topicArn] }],
        });
      });
    },
  );

  it("outputs what tools need, in snake_case", () => {
    const [replicaRegion] = unit.replicaRegions;
    const queueId = (queueName: string) =>
      resourceWhere(json, "aws_sqs_queue", "name", queueName)[0];
    const [active, replica] = unit.names.queues;
    expect(Object.keys(json.output).sort()).toEqual(
      [
        "region",
        "metric_service_name",
        "topic_arn",
        "topic_name",
        "active_queue_url",
        "active_queue_arn",
        "active_dlq_url",
        "replica_queue_urls",
        "replica_queue_arns",
        "replica_dlq_urls",
        "delivery_dlq_urls",
        "consumer_function_names",
        "consumer_log_group_names",
        "api_url",
        "messages_url",
        "health_url",
        "dashboard_name",
        "dashboard_url",
        "alarm_names",
        "alarm_topic_arns",
      ].sort(),
    );
    expect(json.output.region.value).toBe(home);
    expect(json.output.metric_service_name.value).toBe(unit.names.unit);
    expect(json.output.topic_arn.value).toBe(topicArn);
    expect(json.output.active_queue_url.value).toBe(
      ref("aws_sqs_queue", queueId(active.queue), "url"),
    );
    expect(json.output.replica_queue_urls.value).toEqual({
      [replicaRegion]: ref("aws_sqs_queue", queueId(replica.queue), "url"),
    });
    expect(json.output.delivery_dlq_urls.value).toEqual({
      [home]: ref("aws_sqs_queue", queueId(active.deliveryDeadLetterQueue), "url"),
      [replicaRegion]: ref("aws_sqs_queue", queueId(replica.deliveryDeadLetterQueue), "url"),
    });
  });
});

describe("remote state", () => {
  it("uses S3 with a per-stack key, encryption and lock file when a bucket is set", () => {
    const { json } = synthAll(
      defaultConfig({ FANOUT_STATE_BUCKET: "acme-tf-state", FANOUT_STATE_REGION: "eu-west-1" }),
    ).secondary;
    expect(json.terraform.backend).toEqual({
      s3: {
        bucket: "acme-tf-state",
        key: "fanout/secondary.tfstate",
        region: "eu-west-1",
        encrypt: true,
        use_lockfile: true,
      },
    });
  });
});

function providerRegion(resource: Record<string, unknown>): string {
  return String(resource.provider).replace(/^aws\./, "");
}

function tlsOnly(arn: string) {
  return {
    sid: "DenyInsecureTransport",
    effect: "Deny",
    principals: [{ type: "*", identifiers: ["*"] }],
    actions: ["sqs:*"],
    resources: [arn],
    condition: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
  };
}
