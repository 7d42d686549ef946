import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { Construct } from "constructs";
import type { FanoutConfig, FifoConfig } from "../config/config";
import { filterFor, type SubscriptionFilter } from "../config/filter-policy";
import type { QueueNames, QueueRole } from "../config/names";
import { EncryptedQueue } from "./encrypted-queue";
import type { IdempotencyTable } from "./idempotency-table";
import { NodejsFunction } from "./nodejs-function";
import { RegionalProviders } from "./providers";
import { QueueConsumer } from "./queue-consumer";
import { QueueSubscription } from "./queue-subscription";

export interface UnitQueueProps {
  /** The providers of the unit; the queue and its consumer use the one of `names.region`. */
  readonly providers: RegionalProviders;
  /** The unit's topic, which feeds the queue. */
  readonly topic: SnsTopic;
  /** Names of the queue and everything that hangs off it. */
  readonly names: QueueNames;
  /** Fan-out unit name `<prefix>-<stack>`: the `service` of the consumer's metrics. */
  readonly unitName: string;
  /** Stack name, e.g. `primary`. */
  readonly stack: string;
  /** Queue settings of the unit. */
  readonly queues: FanoutConfig["queues"];
  /** Consumer settings of the unit, the mode included. */
  readonly consumer: FanoutConfig["consumer"];
  /**
   * Retention of the consumer's log group, in days.
   * @default - 14 days
   */
  readonly logRetentionDays?: number;
  /**
   * The unit's idempotency store, which the consumer checks before measuring a message.
   * @default - none; every record is processed
   */
  readonly idempotencyTable?: IdempotencyTable;
  /**
   * The unit is FIFO: the queue, its dead-letter queues and its consumer are FIFO ones (the
   * names in `names` end in `.fifo`).
   * @default - a standard queue
   */
  readonly fifo?: FifoConfig;
}

/**
 * One queue of a fan-out unit with everything built around it: the queue and its dead-letter
 * queue in the queue's region, its subscription to the unit's topic (with the delivery
 * dead-letter queue, in the topic's region), and its consumer.
 */
export class UnitQueue extends Construct {
  /** `active` (the home region's queue) or `replica`. */
  public readonly role: QueueRole;
  /** Region the queue and its consumer live in. */
  public readonly region: string;
  /** Physical names of the queue and what hangs off it. */
  public readonly names: QueueNames;
  /** The queue. */
  public readonly queue: SqsQueue;
  /** Where messages go after `maxReceiveCount` failed receives. */
  public readonly deadLetterQueue: SqsQueue;
  /** Messages SNS failed to deliver to the queue (in the topic's region). */
  public readonly deliveryDeadLetterQueue: SqsQueue;
  /** The consumer function, its role and log group. */
  public readonly consumer: NodejsFunction;
  /** False for replicas in active-standby mode: their consumer's mapping is disabled. */
  public readonly drained: boolean;
  /** How long the queue keeps a message, in seconds. */
  public readonly retentionSeconds: number;
  /** The subscription's filter; `undefined` when the queue gets every message. */
  public readonly filter?: SubscriptionFilter;
  /** Whether SNS delivers raw bodies to the queue (no envelope, no SNS legs). */
  public readonly rawMessageDelivery: boolean;
  /** True when the consumer skips messages the unit's idempotency store marks as processed. */
  public readonly deduplicated: boolean;
  /** True for a FIFO queue (of a FIFO unit): order and deduplication per message group. */
  public readonly fifo: boolean;

  /** `id` is the queue's id in its unit, `names.id` (`active`, `replica-<region>`). */
  constructor(scope: Construct, id: string, props: UnitQueueProps) {
    super(scope, id);
    const { names, queues, consumer } = props;
    this.role = names.role;
    this.region = names.region;
    this.names = names;
    this.retentionSeconds =
      names.role === "active" ? queues.activeRetentionSeconds : queues.replicaRetentionSeconds;
    // In active-standby mode replicas keep their messages until an operator fails over.
    this.drained = !(consumer.mode === "active-standby" && names.role === "replica");
    this.deduplicated = props.idempotencyTable !== undefined;
    this.fifo = props.fifo !== undefined;

    const queue = new EncryptedQueue(this, "queue", {
      provider: props.providers.forRegion(names.region),
      name: names.queue,
      deadLetterQueueName: names.deadLetterQueue,
      fifo: props.fifo,
      retentionSeconds: this.retentionSeconds,
      visibilityTimeoutSeconds: queues.visibilityTimeoutSeconds,
      deadLetterRetentionSeconds: queues.deadLetterRetentionSeconds,
      maxReceiveCount: queues.maxReceiveCount,
    });
    this.queue = queue.queue;
    this.deadLetterQueue = queue.deadLetterQueue;

    const subscription = new QueueSubscription(this, "subscription", {
      topic: props.topic,
      queue: this.queue,
      deliveryDeadLetterQueueName: names.deliveryDeadLetterQueue,
      deliveryDeadLetterRetentionSeconds: queues.deadLetterRetentionSeconds,
      filter: filterFor(queues.subscription.filters, names.role, names.region),
      rawMessageDelivery: queues.subscription.rawMessageDelivery,
      fifo: props.fifo,
    });
    this.deliveryDeadLetterQueue = subscription.deliveryDeadLetterQueue;
    this.filter = subscription.filter;
    this.rawMessageDelivery = subscription.rawMessageDelivery;

    this.consumer = new QueueConsumer(this, "consumer", {
      queue: this.queue,
      functionName: names.consumerFunction,
      unitName: props.unitName,
      stack: props.stack,
      role: names.role,
      enabled: this.drained,
      batchSize: consumer.batchSize,
      batchingWindowSeconds: consumer.batchingWindowSeconds,
      maxConcurrency: consumer.maxConcurrency,
      timeoutSeconds: consumer.timeoutSeconds,
      memoryMb: consumer.memoryMb,
      logRetentionDays: props.logRetentionDays,
      rawMessageDelivery: this.rawMessageDelivery,
      idempotencyTable: props.idempotencyTable,
      fifo: this.fifo,
    }).function;
  }
}
