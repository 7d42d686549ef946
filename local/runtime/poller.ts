/**
 * Lambda's SQS poller for one event source mapping: long-polls the queue, builds batches as
 * the mapping says (batch size, batching window; on a FIFO queue, as Lambda does, one receive of
 * at most 10 and no window, so a batch holds each group's records in the queue's order), invokes the function with an `SQSEvent`
 * shaped as Lambda shapes it, at most `maxConcurrency` invocations at a time, deletes what
 * succeeded (partial batch responses included) and journals every record's outcome.
 *
 * What fails is left in the queue: it returns after the visibility timeout and, after
 * `maxReceiveCount` receives, the queue's redrive policy moves it to the DLQ (the emulator does
 * that part).
 */
import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type { SQSEvent, SQSRecord } from "aws-lambda";
import { FIFO_SUFFIX } from "../../config/names";
import { FIFO_MAX_BATCH_SIZE } from "../../config/settings";
import type { Journal } from "./journal";
import { batchVerdict, messageKeysOf, sqsRecordOf } from "./sqs-event";
import type {
  DeliveryRecord,
  DeployedMapping,
  FunctionInvoker,
  InvokeResult,
  PollerStats,
  QueuePoller,
} from "./types";

export {
  batchVerdict,
  messageAttributesOf,
  messageKeysOf,
  snsMessageIdOf,
  sqsRecordOf,
  type BatchVerdict,
} from "./sqs-event";

/** Most messages one ReceiveMessage returns. */
export const MAX_RECEIVE = 10;

/** Most entries one DeleteMessageBatch takes. */
export const MAX_DELETE = 10;

/** Options of {@link createPoller}. */
export interface PollerOptions {
  /** Client of the queue's region (its front door). */
  readonly sqs: SQSClient;
  /** Where every record's outcome is written. */
  readonly journal: Pick<Journal, "append">;
  /**
   * Epoch-ms clock of the journal's `at` (the batching window runs on real time).
   * @default - Date.now
   */
  readonly clock?: () => number;
  /** Called with every receive, delete or invoke problem (the poller carries on). */
  readonly onError?: (error: Error) => void;
  /**
   * `WaitTimeSeconds` of each receive (0..20). Short enough that `stop()` returns quickly; the
   * emulator waits on a condition, so an idle poller costs one request per wait.
   * @default 1
   */
  readonly waitTimeSeconds?: number;
  /**
   * Back-off after a failed receive: doubles from `initialMs` up to `maxMs`.
   * @default - { initialMs: 100, maxMs: 2000 }
   */
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
}

function errorOf(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * How the poller of `mapping` fills a batch: up to `batchSize` records, receiving again until the
 * window ends. From a FIFO queue Lambda reads at most 10 records and takes no batching window
 * (synth refuses both for FIFO units; the runtime holds to it whatever the state says).
 */
export function batchingOf(
  mapping: Pick<DeployedMapping, "queueArn" | "batchSize" | "batchingWindowSeconds">,
): {
  readonly batchSize: number;
  readonly windowMs: number;
} {
  const batchSize = Math.max(1, mapping.batchSize);
  if (mapping.queueArn.endsWith(FIFO_SUFFIX)) {
    return { batchSize: Math.min(FIFO_MAX_BATCH_SIZE, batchSize), windowMs: 0 };
  }
  return { batchSize, windowMs: mapping.batchingWindowSeconds * 1000 };
}

/**
 * The poller of one mapping. `start()` polls (a disabled mapping does nothing: in
 * active-standby its replica keeps the messages), `stop()` stops receiving, hands what the last
 * receive returned to the function, and waits for the invocations in flight. A failed receive
 * (the region's front door down, say) is retried with back-off and shows as `lastError`.
 */
export function createPoller(
  mapping: DeployedMapping,
  invoker: FunctionInvoker,
  options: PollerOptions,
): QueuePoller {
  const { sqs, journal } = options;
  const clock = options.clock ?? Date.now;
  const onError = options.onError ?? (() => undefined);
  const waitTimeSeconds = Math.min(20, Math.max(0, options.waitTimeSeconds ?? 1));
  const backoff = options.backoff ?? { initialMs: 100, maxMs: 2000 };
  const reportFailures = mapping.functionResponseTypes.includes("ReportBatchItemFailures");
  const maxConcurrency = Math.max(1, mapping.maxConcurrency);
  const { batchSize, windowMs } = batchingOf(mapping);

  let running = false;
  let loop: Promise<void> | undefined;
  let wake: (() => void) | undefined;
  const inFlight = new Set<Promise<void>>();
  let invocations = 0;
  let processed = 0;
  let failed = 0;
  /** The latest receive's error and the latest invocation's (or delete's), until one succeeds. */
  let receiveError: string | undefined;
  let invokeError: string | undefined;

  /** Sleeps `ms`, or less when stopped or when an invocation frees a slot. */
  const pause = (ms: number) =>
    new Promise<void>((resolvePause) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wake = undefined;
        resolvePause();
      }
      wake = done;
    });

  const receive = async (max: number, waitSeconds: number): Promise<Message[]> => {
    const response = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: mapping.queueUrl,
        MaxNumberOfMessages: Math.min(MAX_RECEIVE, max),
        WaitTimeSeconds: waitSeconds,
        AttributeNames: ["All"],
        MessageSystemAttributeNames: ["All"],
        MessageAttributeNames: ["All"],
      }),
    );
    return response.Messages ?? [];
  };

  const deleteRecords = async (records: readonly SQSRecord[]) => {
    for (let start = 0; start < records.length; start += MAX_DELETE) {
      const chunk = records.slice(start, start + MAX_DELETE);
      try {
        const response = await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: mapping.queueUrl,
            Entries: chunk.map((record, i) => ({
              Id: String(i),
              ReceiptHandle: record.receiptHandle,
            })),
          }),
        );
        for (const entry of response.Failed ?? []) {
          const record = chunk[Number(entry.Id)];
          const message = `delete of ${record?.messageId} failed: ${entry.Code} ${entry.Message ?? ""}`;
          invokeError = message;
          onError(new Error(message));
        }
      } catch (error) {
        invokeError = `delete failed: ${errorOf(error).message}`;
        onError(errorOf(error));
      }
    }
  };

  const handle = async (batch: SQSRecord[]) => {
    let result: InvokeResult;
    try {
      result = await invoker.invoke({ Records: batch } satisfies SQSEvent);
    } catch (error) {
      result = {
        ok: false,
        errorType: "Local.InvokeError",
        errorMessage: errorOf(error).message,
        durationMs: 0,
      };
    }
    invocations += 1;
    const verdict = batchVerdict(result, batch, reportFailures);
    const isFailed = (record: SQSRecord) =>
      verdict.kind === "all-failed" ||
      (verdict.kind === "partial" && verdict.failed.has(record.messageId));
    if (verdict.kind === "all-failed") {
      invokeError = `${invoker.function.name}: ${verdict.reason}`;
      onError(new Error(invokeError));
    } else {
      invokeError = undefined;
    }
    const succeeded = batch.filter((record) => !isFailed(record));
    if (succeeded.length > 0) await deleteRecords(succeeded);
    const at = clock();
    const records: DeliveryRecord[] = batch.map((record) => ({
      at,
      stack: mapping.stack,
      functionName: mapping.functionName,
      region: mapping.region,
      queueArn: mapping.queueArn,
      sqsMessageId: record.messageId,
      ...messageKeysOf(record),
      receiveCount: Number(record.attributes.ApproximateReceiveCount ?? 0),
      outcome: isFailed(record) ? "failed" : "processed",
    }));
    const failedCount = records.filter((record) => record.outcome === "failed").length;
    failed += failedCount;
    processed += records.length - failedCount;
    try {
      journal.append(...records);
    } catch (error) {
      onError(errorOf(error));
    }
  };

  const dispatch = (batch: SQSRecord[]) => {
    const task: Promise<void> = handle(batch)
      .catch((error: unknown) => onError(errorOf(error)))
      .finally(() => {
        inFlight.delete(task);
        wake?.();
      });
    inFlight.add(task);
  };

  const poll = async () => {
    let failures = 0;
    while (running) {
      if (inFlight.size >= maxConcurrency) {
        await pause(1000);
        continue;
      }
      const batch: SQSRecord[] = [];
      let windowEnds: number | undefined;
      try {
        do {
          const remaining = windowEnds === undefined ? undefined : windowEnds - Date.now();
          const wait =
            remaining === undefined
              ? waitTimeSeconds
              : Math.min(waitTimeSeconds, Math.max(0, Math.ceil(remaining / 1000)));
          const messages = await receive(batchSize - batch.length, wait);
          batch.push(...messages.map((message) => sqsRecordOf(message, mapping)));
          if (batch.length > 0 && windowEnds === undefined) windowEnds = Date.now() + windowMs;
          failures = 0;
          receiveError = undefined;
        } while (
          running &&
          windowMs > 0 &&
          batch.length > 0 &&
          batch.length < batchSize &&
          Date.now() < windowEnds!
        );
      } catch (error) {
        if (batch.length > 0) dispatch(batch);
        failures += 1;
        receiveError = `receive failed: ${errorOf(error).message}`;
        onError(errorOf(error));
        if (running) {
          await pause(Math.min(backoff.maxMs, backoff.initialMs * 2 ** (failures - 1)));
        }
        continue;
      }
      if (batch.length > 0) dispatch(batch);
    }
  };

  return {
    mapping,
    start() {
      if (!mapping.enabled || running) return;
      running = true;
      loop = poll();
    },
    async stop() {
      running = false;
      wake?.();
      await loop;
      loop = undefined;
      while (inFlight.size > 0) await Promise.all([...inFlight]);
    },
    stats: (): PollerStats => {
      const lastError = receiveError ?? invokeError;
      return {
        functionName: mapping.functionName,
        queueUrl: mapping.queueUrl,
        enabled: mapping.enabled,
        invocations,
        processed,
        failed,
        inFlight: inFlight.size,
        ...(lastError !== undefined ? { lastError } : {}),
      };
    },
  };
}
