/** Record factories and output capture for the consumer tests. */
import type { SQSEvent, SQSRecord, SQSRecordAttributes } from "aws-lambda";
import { consumerEnvironment } from "../env";

/** Handler start used by the tests: 2024-11-24T03:00:00.090Z. */
export const STARTED_AT = 1_732_417_200_090;

/** Environment of a replica consumer of the `primary` unit. */
export const REPLICA_ENV = {
  POWERTOOLS_SERVICE_NAME: "fanout-primary",
  POWERTOOLS_METRICS_NAMESPACE: "SnsSqsMultiRegion",
  FANOUT_STACK: "primary",
  FANOUT_QUEUE_ROLE: "replica",
} as const;

/** The idempotency store of the `primary` unit, as infrastructure names it (15 days). */
export const STORE_SETTINGS = {
  tableName: "fanout-primary-idempotency",
  expiresAfterSeconds: 1_296_000,
} as const;

/** {@link REPLICA_ENV} as `consumerEnvironment` writes it for a unit with the store. */
export const replicaStoreEnv = () =>
  consumerEnvironment({
    unitName: "fanout-primary",
    stack: "primary",
    role: "replica",
    idempotency: STORE_SETTINGS,
  });

let sequence = 0;

/** Fields of {@link sqsRecord}. */
export interface SqsRecordProps {
  readonly body: string;
  readonly messageId?: string;
  /** Merged over defaults; a key set to `undefined` is removed. */
  readonly attributes?: Partial<Record<keyof SQSRecordAttributes, string | undefined>>;
}

/** An SQS record as Lambda delivers it, with valid timestamps 60 ms and 70 ms before start. */
export function sqsRecord(props: SqsRecordProps): SQSRecord {
  sequence += 1;
  const attributes: Record<string, string | undefined> = {
    ApproximateReceiveCount: "1",
    SentTimestamp: String(STARTED_AT - 70),
    SenderId: "AIDAIT2UOQQY3AUEKVGXU",
    ApproximateFirstReceiveTimestamp: String(STARTED_AT - 60),
    ...props.attributes,
  };
  for (const key of Object.keys(attributes)) {
    if (attributes[key] === undefined) delete attributes[key];
  }
  return {
    messageId: props.messageId ?? `msg-${sequence}`,
    receiptHandle: `handle-${sequence}`,
    body: props.body,
    attributes: attributes as unknown as SQSRecordAttributes,
    messageAttributes: {},
    md5OfBody: "00000000000000000000000000000000",
    eventSource: "aws:sqs",
    eventSourceARN: "arn:aws:sqs:us-west-2:123456789012:fanout-primary-replica-us-west-2",
    awsRegion: "us-west-2",
  };
}

/** Fields of {@link snsEnvelope}; `message` is the raw `Message` string. */
export interface SnsEnvelopeProps {
  readonly message: string;
  readonly timestamp?: string;
  readonly messageId?: string;
  readonly type?: string;
}

/** An SNS-to-SQS envelope with every field SNS writes (not raw message delivery). */
export function snsEnvelope(props: SnsEnvelopeProps): Record<string, string> {
  const topicArn = "arn:aws:sns:us-east-1:123456789012:fanout-primary";
  return {
    Type: props.type ?? "Notification",
    MessageId: props.messageId ?? "8e4f0d2a-3b7c-5e91-a6d4-1f2b3c4d5e6f",
    TopicArn: topicArn,
    Message: props.message,
    Timestamp: props.timestamp ?? new Date(STARTED_AT - 80).toISOString(),
    SignatureVersion: "1",
    Signature: "ZmFrZSBzaWduYXR1cmU=",
    SigningCertURL: "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0.pem",
    UnsubscribeURL: `https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=${topicArn}:1`,
  };
}

/** JSON body of an SNS envelope carrying `payload`. */
export function snsBody(payload: unknown, props: Partial<SnsEnvelopeProps> = {}): string {
  return JSON.stringify(snsEnvelope({ message: JSON.stringify(payload), ...props }));
}

/** An SQS event of the given records. */
export function sqsEvent(records: SQSRecord[]): SQSEvent {
  return { Records: records };
}

/** One EMF blob as Powertools prints it. */
export interface EmfBlob {
  readonly _aws: {
    readonly Timestamp: number;
    readonly CloudWatchMetrics: {
      readonly Namespace: string;
      readonly Dimensions: string[][];
      readonly Metrics: { Name: string; Unit: string; StorageResolution?: number }[];
    }[];
  };
  readonly [key: string]: unknown;
}

/** Lines written to stdout and stderr while capturing, split into EMF blobs and log lines. */
export interface StdoutCapture {
  readonly lines: () => string[];
  readonly emf: () => EmfBlob[];
  readonly logs: () => Record<string, unknown>[];
  readonly restore: () => void;
}

/**
 * Captures what Powertools writes to `process.stdout` and `process.stderr`: it prints EMF and
 * logs through its own `Console` bound to the real streams (warnings and errors to stderr), not
 * through the global `console` that jest replaces.
 */
export function captureStdout(): StdoutCapture {
  const chunks: string[] = [];
  const write = (chunk: unknown): boolean => {
    chunks.push(typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString());
    return true;
  };
  const spies = [
    jest.spyOn(process.stdout, "write").mockImplementation(write),
    jest.spyOn(process.stderr, "write").mockImplementation(write),
  ];
  const lines = (): string[] =>
    chunks
      .join("")
      .split("\n")
      .filter((line) => line.trim() !== "");
  const parsed = (): Record<string, unknown>[] =>
    lines().map((line) => JSON.parse(line) as Record<string, unknown>);
  return {
    lines,
    emf: () => parsed().filter((entry): entry is EmfBlob => "_aws" in entry),
    logs: () => parsed().filter((entry) => !("_aws" in entry)),
    restore: () => spies.forEach((spy) => spy.mockRestore()),
  };
}
