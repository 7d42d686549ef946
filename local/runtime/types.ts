/**
 * The contract between the parts of the local runtime: what it reads from a deployment, the
 * function hosts and queue pollers it runs, and the control API the launcher and the CLI call.
 *
 * The local runtime does on this machine what Lambda's SQS poller, the Lambda service,
 * CloudWatch Logs' EMF extraction and API Gateway do in the cloud, against the emulator.
 */

/** A Lambda function as deployed, read from Terraform state. */
export interface DeployedFunction {
  /** Stack (Terraform state) the function belongs to. */
  readonly stack: string;
  /** Terraform address, e.g. `aws_lambda_function.active_consumer_function_1A2B3C`. */
  readonly address: string;
  readonly name: string;
  readonly arn: string;
  /** Region the function lives in (from its ARN). */
  readonly region: string;
  /** Absolute path of the deployment package: the state's `filename`, against the stack directory. */
  readonly packagePath: string;
  /** The state's `source_code_hash`. */
  readonly sourceCodeHash: string;
  /** `<file>.<export>`, e.g. `index.handler`. */
  readonly handler: string;
  readonly runtime: string;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  /** The function's environment variables as deployed. */
  readonly environment: Readonly<Record<string, string>>;
  /** Log group the function writes to (its logging config, else `/aws/lambda/<name>`). */
  readonly logGroupName: string;
  /**
   * `log_format` of its logging config; `JSON` sets `AWS_LAMBDA_LOG_FORMAT=JSON`.
   * @default - Text
   */
  readonly logFormat?: "JSON" | "Text";
}

/** An SQS event source mapping as deployed. */
export interface DeployedMapping {
  readonly stack: string;
  readonly address: string;
  /** The mapping's UUID (its Terraform id). */
  readonly uuid: string;
  /** Name of the function it feeds. */
  readonly functionName: string;
  readonly queueArn: string;
  /** URL of the queue (from the state's `aws_sqs_queue` with that ARN). */
  readonly queueUrl: string;
  /** Region of the queue and the function. */
  readonly region: string;
  readonly batchSize: number;
  readonly batchingWindowSeconds: number;
  /** `scaling_config.maximum_concurrency`; Lambda's own limit when absent. */
  readonly maxConcurrency: number;
  /** E.g. `["ReportBatchItemFailures"]`. */
  readonly functionResponseTypes: readonly string[];
  /**
   * Whether the mapping polls, as the product configures it (the stack's synthesized
   * `cdk.tf.json`): the local copy disables every mapping in the emulator, so that the emulator
   * does not consume the messages itself.
   */
  readonly enabled: boolean;
}

/** One route of a REST API: a resource path and method with a Lambda proxy integration. */
export interface DeployedRoute {
  /** Resource path, e.g. `/messages`. */
  readonly path: string;
  /** E.g. `POST`. */
  readonly method: string;
  /** `AWS_IAM` or `NONE`. */
  readonly authorization: string;
  /** Name of the function of the `AWS_PROXY` integration. */
  readonly functionName: string;
}

/** A REST API and its deployed stage. */
export interface DeployedApi {
  readonly stack: string;
  readonly region: string;
  readonly apiId: string;
  readonly name: string;
  readonly stageName: string;
  readonly routes: readonly DeployedRoute[];
}

/** Everything the runtime runs for one stack. */
export interface DeployedStack {
  readonly stack: string;
  /** The synthesized stack directory Terraform ran in. */
  readonly stackDir: string;
  /** Home region (the topic's). */
  readonly region: string;
  readonly functions: readonly DeployedFunction[];
  readonly mappings: readonly DeployedMapping[];
  readonly apis: readonly DeployedApi[];
}

/** The answer of one invocation. */
export type InvokeResult =
  | { readonly ok: true; readonly result: unknown; readonly durationMs: number }
  | {
      readonly ok: false;
      readonly errorType: string;
      readonly errorMessage: string;
      readonly durationMs: number;
    };

/** Runs one deployed function's package, one invocation per execution environment at a time. */
export interface FunctionInvoker {
  readonly function: DeployedFunction;
  invoke(event: unknown, requestId?: string): Promise<InvokeResult>;
  /** Ends every execution environment. */
  close(): Promise<void>;
}

/** What a consumer did with one SQS message: one line of the delivery journal. */
export interface DeliveryRecord {
  /** Epoch ms at which the invocation answered. */
  readonly at: number;
  readonly stack: string;
  readonly functionName: string;
  readonly region: string;
  readonly queueArn: string;
  readonly sqsMessageId: string;
  /** `MessageId` of the SNS envelope, when the body is one. */
  readonly snsMessageId?: string;
  /**
   * The message's `idempotency_key` attribute (every producer path of the project attaches one),
   * from the envelope or, for a raw body, from the SQS message attributes. With raw message
   * delivery there is no envelope, and this is the only key that follows the message.
   */
  readonly idempotencyKey?: string;
  /** `ApproximateReceiveCount` of this receive. */
  readonly receiveCount: number;
  /** `failed`: reported in `batchItemFailures`, or the whole invocation failed. */
  readonly outcome: "processed" | "failed";
}

/** Counters of one mapping's poller. */
export interface PollerStats {
  readonly functionName: string;
  readonly queueUrl: string;
  readonly enabled: boolean;
  readonly invocations: number;
  readonly processed: number;
  readonly failed: number;
  readonly inFlight: number;
  /** Last receive or invoke error, if the latest attempt failed. */
  readonly lastError?: string;
}

/** Polls one queue for one mapping, the way Lambda's SQS poller does. */
export interface QueuePoller {
  readonly mapping: DeployedMapping;
  /** Starts polling (a no-op for a disabled mapping). */
  start(): void;
  /** Stops receiving and waits for the invocations in flight. */
  stop(): Promise<void>;
  stats(): PollerStats;
}

/** `<stateDir>/runtime.json`, written by the runtime process once it listens. */
export interface RuntimeInfo {
  readonly pid: number;
  /** Base URL of the control API, e.g. `http://127.0.0.1:40123`. */
  readonly controlUrl: string;
  /** Region -> the region's front door (an endpoint for every AWS service of that region). */
  readonly endpoints: Readonly<Record<string, string>>;
}

/** The answer of `POST /load`. */
export interface LoadResult {
  /** Stack -> its producer API as served locally. */
  readonly apis: Readonly<Record<string, { readonly region: string; readonly url: string }>>;
  /** Functions and mappings now running. */
  readonly functions: number;
  readonly mappings: number;
}

/** The answer of `GET /status`. */
export interface RuntimeStatus {
  readonly regions: Readonly<Record<string, "up" | "down">>;
  readonly pollers: readonly PollerStats[];
  readonly apis: LoadResult["apis"];
}
