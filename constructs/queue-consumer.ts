import { LambdaEventSourceMapping } from "@cdktf/provider-aws/lib/lambda-event-source-mapping";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { Token } from "cdktf";
import { Construct } from "constructs";
import { QueueRole } from "../config/names";
import { FIFO_MAX_BATCH_SIZE } from "../config/settings";
import { consumerEnvironment } from "../lambdas/consumer/env";
import {
  CONSUMER_BATCH_SIZE,
  CONSUMER_BATCHING_WINDOW_SECONDS,
  CONSUMER_MAX_CONCURRENCY,
  CONSUMER_QUEUE_ACTIONS,
  FUNCTION_TIMEOUT_SECONDS,
  VISIBILITY_TIMEOUT_FACTOR,
  VISIBILITY_TIMEOUT_SECONDS,
} from "./defaults";
import { IDEMPOTENCY_TABLE_ACTIONS, IdempotencyTable } from "./idempotency-table";
import { NodejsFunction } from "./nodejs-function";
import { providerOf, regionOf } from "./providers";

/** Entry of the consumer handler, relative to the project root. */
export const CONSUMER_ENTRY = "lambdas/consumer/index.ts";

/** Entry of the consumer with the unit's idempotency store (a package with DynamoDB code). */
export const IDEMPOTENT_CONSUMER_ENTRY = "lambdas/consumer/idempotent.ts";

export interface QueueConsumerProps {
  /** The queue to drain; the consumer is created in its region. */
  readonly queue: SqsQueue;
  /** Physical name of the function (and its role). */
  readonly functionName: string;
  /** Fan-out unit name `<prefix>-<stack>`: the `service` of every metric. */
  readonly unitName: string;
  /** Stack name, e.g. `primary`. */
  readonly stack: string;
  /** Role of the queue: tells the metrics of the active queue and the replicas apart. */
  readonly role: QueueRole;
  /**
   * Whether the event source mapping polls. Replicas in `active-standby` mode are disabled,
   * so they keep their messages until failover.
   * @default true
   */
  readonly enabled?: boolean;
  /**
   * Records per invocation.
   * @default - 10 (the `batchSize` setting's default)
   */
  readonly batchSize?: number;
  /**
   * How long the poller waits to fill a batch, in seconds.
   * @default - 0 (the `batchingWindowSeconds` setting's default)
   */
  readonly batchingWindowSeconds?: number;
  /**
   * Maximum concurrent invocations for this queue (2..1000).
   * @default - 5 (the `maxConcurrency` setting's default)
   */
  readonly maxConcurrency?: number;
  /**
   * Function timeout, in seconds; the queue's visibility timeout must be at least six times it
   * plus the batching window.
   * @default - 30 seconds
   */
  readonly timeoutSeconds?: number;
  /**
   * Function memory, in MB.
   * @default - 256 MB
   */
  readonly memoryMb?: number;
  /**
   * Log retention, in days.
   * @default - 14 days
   */
  readonly logRetentionDays?: number;
  /**
   * The queue's subscription delivers raw bodies: the consumer reads no SNS envelope.
   * @default - false
   */
  readonly rawMessageDelivery?: boolean;
  /**
   * The unit's idempotency store: the consumer skips messages already processed in any region,
   * using the table's copy in the queue's region.
   * @default - none; every record is processed
   */
  readonly idempotencyTable?: IdempotencyTable;
  /**
   * The queue is a FIFO queue: the mapping has no batching window (Lambda supports none there)
   * and at most 10 records per batch, and the consumer keeps each message group's order.
   * @default - false
   */
  readonly fifo?: boolean;
}

/**
 * The Lambda consumer of one queue: the function, in the queue's region, and its event source
 * mapping with partial batch responses. Its role may receive, delete and change visibility on
 * this queue only, and, with the unit's idempotency store, read and write items of the table's
 * copy in this region only.
 */
export class QueueConsumer extends Construct {
  /** The consumer function, its role and log group. */
  public readonly function: NodejsFunction;
  /** The mapping that feeds the function from the queue. */
  public readonly eventSourceMapping: LambdaEventSourceMapping;

  constructor(scope: Construct, id: string, props: QueueConsumerProps) {
    super(scope, id);
    const { queue, idempotencyTable: store } = props;
    const provider = providerOf(queue);
    const timeout = props.timeoutSeconds ?? FUNCTION_TIMEOUT_SECONDS;
    const batchingWindow = props.batchingWindowSeconds ?? CONSUMER_BATCHING_WINDOW_SECONDS;
    // The configured value; the plain getter answers a token that resolves only at apply.
    const visibility = queue.visibilityTimeoutSecondsInput ?? VISIBILITY_TIMEOUT_SECONDS;
    // The poller holds received messages while it fills a batch, then the function runs: a
    // shorter visibility timeout lets healthy messages come back, count receives, reach the DLQ.
    const needed = VISIBILITY_TIMEOUT_FACTOR * timeout + batchingWindow;
    const batchSize = props.batchSize ?? CONSUMER_BATCH_SIZE;
    if (props.fifo === true && (batchSize > FIFO_MAX_BATCH_SIZE || batchingWindow !== 0)) {
      throw new Error(
        `QueueConsumer ${props.functionName}: batch size ${batchSize} and batching window ${batchingWindow} s on a FIFO queue; allowed: at most ${FIFO_MAX_BATCH_SIZE} records and no batching window`,
      );
    }
    if (!Token.isUnresolved(visibility) && visibility < needed) {
      throw new Error(
        `QueueConsumer ${props.functionName}: queue visibility timeout ${visibility} s is below ${VISIBILITY_TIMEOUT_FACTOR} x function timeout ${timeout} s${batchingWindow > 0 ? ` + batching window ${batchingWindow} s` : ""}; allowed: at least ${needed} s`,
      );
    }

    this.function = new NodejsFunction(this, "function", {
      provider,
      functionName: props.functionName,
      entry: store === undefined ? CONSUMER_ENTRY : IDEMPOTENT_CONSUMER_ENTRY,
      description: `Drains ${props.role} queue of ${props.unitName} and records per-leg latency`,
      environment: consumerEnvironment({
        unitName: props.unitName,
        stack: props.stack,
        role: props.role,
        rawMessageDelivery: props.rawMessageDelivery,
        fifo: props.fifo,
        idempotency: store && {
          tableName: store.name,
          expiresAfterSeconds: store.expiresAfterSeconds,
        },
      }),
      timeoutSeconds: timeout,
      memoryMb: props.memoryMb,
      logRetentionDays: props.logRetentionDays,
    });
    const queueAccess = this.function.addPolicy("consume-queue", [
      {
        sid: "ConsumeOwnQueue",
        effect: "Allow",
        actions: CONSUMER_QUEUE_ACTIONS,
        resources: [queue.arn],
      },
    ]);
    if (store !== undefined) {
      this.function.addPolicy("idempotency-store", [
        {
          sid: "MarkMessagesInOwnRegion",
          effect: "Allow",
          actions: IDEMPOTENCY_TABLE_ACTIONS,
          resources: [store.arnIn(regionOf(queue))],
        },
      ]);
    }

    this.eventSourceMapping = new LambdaEventSourceMapping(this, "event-source-mapping", {
      provider,
      eventSourceArn: queue.arn,
      functionName: this.function.function.arn,
      enabled: props.enabled ?? true,
      batchSize,
      // FIFO queues take no batching window: the argument is left out.
      ...(props.fifo !== true && { maximumBatchingWindowInSeconds: batchingWindow }),
      functionResponseTypes: ["ReportBatchItemFailures"],
      scalingConfig: { maximumConcurrency: props.maxConcurrency ?? CONSUMER_MAX_CONCURRENCY },
      // Lambda checks the role's queue permissions when the mapping is created.
      dependsOn: [queueAccess],
    });
  }
}
