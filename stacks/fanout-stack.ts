import { LocalBackend, S3Backend, TerraformOutput, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import {
  apiGatewayCloudWatchRoleName,
  BackendConfig,
  FanoutConfig,
  UnitConfig,
} from "../config/config";
import { FanoutAlarms } from "../constructs/fanout-alarms";
import { FanoutTopic } from "../constructs/fanout-topic";
import {
  IdempotencyTable,
  idempotencyExpirySeconds,
  idempotencyTableName,
} from "../constructs/idempotency-table";
import { LatencyDashboard } from "../constructs/latency-dashboard";
import { ProducerApi } from "../constructs/producer-api";
import { RegionalProviders } from "../constructs/providers";
import { UnitQueue } from "../constructs/unit-queue";

export interface FanoutStackProps {
  /** The whole validated configuration. */
  readonly config: FanoutConfig;
  /** The unit this stack holds; its `stack` is the stack id. */
  readonly unit: UnitConfig;
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
  /** The unit's idempotency store; `undefined` unless the `idempotencyStore` setting is on. */
  public readonly idempotencyTable?: IdempotencyTable;

  constructor(scope: Construct, props: FanoutStackProps) {
    const { config, unit } = props;
    const { names, stack, homeRegion } = unit;
    super(scope, stack);
    configureBackend(this, stack, config.backend);

    // One aliased provider per configured region.
    const providers = new RegionalProviders(this, "providers", {
      regions: config.regions,
      defaultTags: { project: config.prefix, stack, "managed-by": "cdktf" },
    });

    // The topic, in the home region.
    this.topic = new FanoutTopic(this, "topic", {
      provider: providers.forRegion(homeRegion),
      name: names.topic,
      fifo: config.fifo,
    });
    const topic = this.topic.topic;

    // With the idempotency store: one global table, replicated to every region of the unit.
    if (config.consumer.idempotencyStore) {
      this.idempotencyTable = new IdempotencyTable(this, "idempotency", {
        provider: providers.forRegion(homeRegion),
        name: idempotencyTableName(names.unit),
        replicaRegions: unit.replicaRegions,
        expiresAfterSeconds: idempotencyExpirySeconds(config.queues),
      });
    }

    // The active queue and one replica per other region, each with its DLQ, subscription
    // (created in the topic's region), delivery DLQ and consumer (in the queue's region).
    this.queues = names.queues.map(
      (queueNames) =>
        new UnitQueue(this, queueNames.id, {
          providers,
          topic,
          names: queueNames,
          unitName: names.unit,
          stack,
          queues: config.queues,
          consumer: config.consumer,
          logRetentionDays: config.logRetentionDays,
          idempotencyTable: this.idempotencyTable,
          fifo: config.fifo,
        }),
    );

    // The producer API, the dashboard and the alarms, in the home region (alarms: in the
    // region of their metric).
    this.api = new ProducerApi(this, "producer-api", {
      topic,
      apiName: names.api,
      functionName: names.apiFunction,
      stack,
      throttleRateLimit: config.api.throttleRateLimit,
      throttleBurstLimit: config.api.throttleBurstLimit,
      healthThrottleRateLimit: config.api.healthThrottleRateLimit,
      healthThrottleBurstLimit: config.api.healthThrottleBurstLimit,
      logRetentionDays: config.logRetentionDays,
      // The home region's API Gateway account settings, when this app owns them.
      accountCloudWatchRoleName: config.api.manageAccount
        ? apiGatewayCloudWatchRoleName(names)
        : undefined,
      contentBasedDeduplication: config.fifo?.contentBasedDeduplication,
    });
    const unitParts = { topic, queues: this.queues, api: this.api, providers, homeRegion };
    this.dashboard = new LatencyDashboard(this, "dashboard", {
      ...unitParts,
      name: names.dashboard,
      stack,
      unitName: names.unit,
    });
    this.alarms = new FanoutAlarms(this, "alarms", {
      ...unitParts,
      unitName: names.unit,
      topicNames: names.alarmTopics,
      ...config.alarms,
    });

    this.addOutputs(unit);
  }

  private addOutputs(unit: UnitConfig): void {
    const [active, ...replicas] = this.queues;
    const byRegion = (queues: readonly UnitQueue[], value: (q: UnitQueue) => string) =>
      Object.fromEntries(queues.map((q) => [q.region, value(q)]));
    const outputs: Record<string, { value: unknown; description: string }> = {
      region: { value: unit.homeRegion, description: "Home region of the unit" },
      metric_service_name: {
        value: unit.names.unit,
        description: "Value of the service dimension of the unit's consumer metrics",
      },
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
    if (this.idempotencyTable !== undefined) {
      outputs.idempotency_table_name = {
        value: this.idempotencyTable.table.name,
        description:
          "Idempotency table of the unit (a global table: the same name in every region)",
      };
    }
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
