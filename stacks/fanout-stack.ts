import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { LocalBackend, S3Backend, TerraformOutput, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { BackendConfig, FanoutConfig, UnitConfig } from "../config/config";
import { QueueNames, QueueRole } from "../config/names";
import { EncryptedQueue } from "../constructs/encrypted-queue";
import { FanoutAlarms } from "../constructs/fanout-alarms";
import { FanoutTopic } from "../constructs/fanout-topic";
import { LatencyDashboard } from "../constructs/latency-dashboard";
import { NodejsFunction } from "../constructs/nodejs-function";
import { ProducerApi } from "../constructs/producer-api";
import { RegionalProviders } from "../constructs/providers";
import { QueueConsumer } from "../constructs/queue-consumer";
import { QueueSubscription } from "../constructs/queue-subscription";

export interface FanoutStackProps {
  /** The whole validated configuration. */
  readonly config: FanoutConfig;
  /** The unit this stack holds; its `stack` is the stack id. */
  readonly unit: UnitConfig;
}

/** One queue of the unit, with everything built around it. */
export interface UnitQueue {
  readonly role: QueueRole;
  readonly region: string;
  readonly names: QueueNames;
  readonly queue: SqsQueue;
  readonly deadLetterQueue: SqsQueue;
  readonly deliveryDeadLetterQueue: SqsQueue;
  readonly consumer: NodejsFunction;
  /** False for replicas in active-standby mode. */
  readonly drained: boolean;
  readonly retentionSeconds: number;
}

/**
 * One fan-out unit in one Terraform state: the topic in the home region, the active queue
 * beside it, a replica queue in every other configured region, their subscriptions, and a
 * consumer per queue in the queue's region.
 */
export class FanoutStack extends TerraformStack {
  /** The unit's topic. */
  public readonly topic: FanoutTopic;
  /** The active queue first, then the replicas in configuration order. */
  public readonly queues: readonly UnitQueue[];
  /** The producers' REST API in the home region. */
  public readonly api: ProducerApi;
  /** The unit's dashboard, in the home region. */
  public readonly dashboard: LatencyDashboard;
  /** The unit's alarms, each in the region of its metric. */
  public readonly alarms: FanoutAlarms;

  constructor(scope: Construct, props: FanoutStackProps) {
    const { config, unit } = props;
    super(scope, unit.stack);
    configureBackend(this, unit.stack, config.backend);

    const providers = new RegionalProviders(this, "providers", {
      regions: config.regions,
      defaultTags: { project: config.prefix, stack: unit.stack, "managed-by": "cdktf" },
    });

    this.topic = new FanoutTopic(this, "topic", {
      provider: providers.forRegion(unit.homeRegion),
      name: unit.names.topic,
    });

    this.queues = unit.names.queues.map((names): UnitQueue => {
      // One scope per queue: `active`, `replica-us-west-2`, ...
      const scope = new Construct(
        this,
        names.role === "active" ? "active" : `replica-${names.region}`,
      );
      const retentionSeconds =
        names.role === "active"
          ? config.queues.activeRetentionSeconds
          : config.queues.replicaRetentionSeconds;
      // In active-standby mode replicas keep their messages until an operator fails over.
      const drained = !(config.consumer.mode === "active-standby" && names.role === "replica");
      const queue = new EncryptedQueue(scope, "queue", {
        provider: providers.forRegion(names.region),
        name: names.queue,
        retentionSeconds,
        visibilityTimeoutSeconds: config.queues.visibilityTimeoutSeconds,
        deadLetterRetentionSeconds: config.queues.deadLetterRetentionSeconds,
        maxReceiveCount: config.queues.maxReceiveCount,
      });
      const subscription = new QueueSubscription(scope, "subscription", {
        topic: this.topic.topic,
        queue: queue.queue,
        deliveryDeadLetterQueueName: names.deliveryDeadLetterQueue,
        deliveryDeadLetterRetentionSeconds: config.queues.deadLetterRetentionSeconds,
      });
      const consumer = new QueueConsumer(scope, "consumer", {
        queue: queue.queue,
        functionName: names.consumerFunction,
        unitName: unit.names.unit,
        stack: unit.stack,
        role: names.role,
        enabled: drained,
        batchSize: config.consumer.batchSize,
        batchingWindowSeconds: config.consumer.batchingWindowSeconds,
        maxConcurrency: config.consumer.maxConcurrency,
        timeoutSeconds: config.consumer.timeoutSeconds,
        memoryMb: config.consumer.memoryMb,
        logRetentionDays: config.logRetentionDays,
      });
      return {
        role: names.role,
        region: names.region,
        names,
        queue: queue.queue,
        deadLetterQueue: queue.deadLetterQueue,
        deliveryDeadLetterQueue: subscription.deliveryDeadLetterQueue,
        consumer: consumer.function,
        drained,
        retentionSeconds,
      };
    });

    this.api = new ProducerApi(this, "producer-api", {
      topic: this.topic.topic,
      apiName: unit.names.api,
      functionName: unit.names.apiFunction,
      stack: unit.stack,
      throttleRateLimit: config.api.throttleRateLimit,
      throttleBurstLimit: config.api.throttleBurstLimit,
      logRetentionDays: config.logRetentionDays,
    });

    const byNames = this.queues.map((q) => ({
      role: q.role,
      region: q.region,
      queueName: q.queue.name,
      deadLetterQueueName: q.deadLetterQueue.name,
      deliveryDeadLetterQueueName: q.deliveryDeadLetterQueue.name,
      consumerFunctionName: q.consumer.function.functionName,
    }));
    this.dashboard = new LatencyDashboard(this, "dashboard", {
      provider: providers.forRegion(unit.homeRegion),
      name: unit.names.dashboard,
      model: {
        stack: unit.stack,
        unitName: unit.names.unit,
        homeRegion: unit.homeRegion,
        topicName: this.topic.topic.name,
        queues: byNames,
        apiName: this.api.api.name,
        apiStage: this.api.stage.stageName,
      },
    });
    this.alarms = new FanoutAlarms(this, "alarms", {
      unitName: unit.names.unit,
      homeRegion: unit.homeRegion,
      providers: (region) => providers.forRegion(region),
      topicNames: unit.names.alarmTopics,
      // The account, from a resource of this stack: no data source has to ask AWS at plan time.
      accountId: this.topic.topic.owner,
      fanoutTopicName: this.topic.topic.name,
      queues: byNames.map((q, i) => ({
        ...q,
        drained: this.queues[i].drained,
        retentionSeconds: this.queues[i].retentionSeconds,
      })),
      apiName: this.api.api.name,
      apiStage: this.api.stage.stageName,
      oldestMessageAgeSeconds: config.alarms.oldestMessageAgeSeconds,
      replicaEndToEndP99Ms: config.alarms.replicaEndToEndP99Ms,
      api5xxPercent: config.alarms.api5xxPercent,
      email: config.alarms.email,
    });

    this.addOutputs(unit);
  }

  private addOutputs(unit: UnitConfig): void {
    const [active, ...replicas] = this.queues;
    const byRegion = (queues: readonly UnitQueue[], value: (q: UnitQueue) => string) =>
      Object.fromEntries(queues.map((q) => [q.region, value(q)]));
    const outputs: Record<string, { value: unknown; description: string }> = {
      region: { value: unit.homeRegion, description: "Home region of the unit" },
      topic_arn: { value: this.topic.topic.arn, description: "ARN of the fan-out topic" },
      topic_name: { value: this.topic.topic.name, description: "Name of the fan-out topic" },
      active_queue_url: { value: active.queue.url, description: "URL of the active queue" },
      active_queue_arn: { value: active.queue.arn, description: "ARN of the active queue" },
      active_dlq_url: {
        value: active.deadLetterQueue.url,
        description: "URL of the active queue's dead-letter queue",
      },
      replica_queue_urls: {
        value: byRegion(replicas, (q) => q.queue.url),
        description: "URL of each replica queue, by region",
      },
      replica_queue_arns: {
        value: byRegion(replicas, (q) => q.queue.arn),
        description: "ARN of each replica queue, by region",
      },
      replica_dlq_urls: {
        value: byRegion(replicas, (q) => q.deadLetterQueue.url),
        description: "URL of each replica queue's dead-letter queue, by region",
      },
      delivery_dlq_urls: {
        value: byRegion(this.queues, (q) => q.deliveryDeadLetterQueue.url),
        description:
          "URL of the subscription dead-letter queue (home region) of the queue in each region",
      },
      consumer_function_names: {
        value: byRegion(this.queues, (q) => q.consumer.function.functionName),
        description: "Name of the consumer function of the queue in each region",
      },
      consumer_log_group_names: {
        value: byRegion(this.queues, (q) => q.consumer.logGroup.name),
        description: "Log group of the consumer function of the queue in each region",
      },
      api_url: { value: this.api.url, description: "Base URL of the producer API stage" },
      messages_url: {
        value: `${this.api.url}/messages`,
        description: "POST a JSON message here, SigV4-signed (service execute-api)",
      },
      health_url: {
        value: `${this.api.url}/health`,
        description: "GET for the unit's health (no auth; usable by a Route 53 health check)",
      },
      dashboard_name: {
        value: this.dashboard.dashboard.dashboardName,
        description: "Name of the unit's CloudWatch dashboard (home region)",
      },
      dashboard_url: { value: this.dashboard.url, description: "Console URL of the dashboard" },
      alarm_names: {
        value: this.alarms.alarms.map((a) => a.alarmName),
        description: "Every alarm of the unit (each lives in the region of its metric)",
      },
      alarm_topic_arns: {
        value: Object.fromEntries(
          Object.entries(this.alarms.topics).map(([region, t]) => [region, t.topic.arn]),
        ),
        description: "Encrypted SNS topic each region's alarms notify, by region",
      },
    };
    for (const [id, output] of Object.entries(outputs)) {
      new TerraformOutput(this, id, output);
    }
  }
}

/**
 * Local state by default, at a path relative to the stack's directory
 * (`cdktf.out/stacks/<stack>` -> `terraform.<stack>.tfstate` beside `cdktf.out`), so the
 * synthesized JSON holds no absolute path of this machine. S3 when a bucket is configured.
 */
function configureBackend(stack: TerraformStack, name: string, backend: BackendConfig): void {
  if (backend.kind === "local") {
    new LocalBackend(stack, { path: `../../../terraform.${name}.tfstate` });
    return;
  }
  const s3 = new S3Backend(stack, {
    bucket: backend.bucket,
    key: `${backend.keyPrefix}/${name}.tfstate`,
    region: backend.region,
    encrypt: true,
  });
  if (backend.locking) {
    // S3-native locking (Terraform >= 1.10); cdktf 0.21 predates the argument.
    s3.addOverride("use_lockfile", true);
  }
}

/** Creates one stack per configured unit. */
export function createStacks(scope: Construct, config: FanoutConfig): FanoutStack[] {
  return config.units.map((unit) => new FanoutStack(scope, { config, unit }));
}
