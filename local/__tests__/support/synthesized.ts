/**
 * What the live suites take from a synthesized stack for the local runtime: a function as the
 * function host runs it, an event source mapping as the poller runs it, a REST API as the
 * runtime serves it, a queue's attributes as CreateQueue takes them.
 */
import { resolve } from "node:path";
import type { QueueAttributeName } from "@aws-sdk/client-sqs";
import type { StackIndex } from "../../../inspect/stack-index";
import type { Block } from "../../../inspect/terraform-json";
import { resourcePath } from "../../../checks/rules/api";
import type {
  DeployedApi,
  DeployedFunction,
  DeployedMapping,
  DeployedRoute,
} from "../../runtime/types";

/** The account the emulator's ARNs carry. */
export const EMULATOR_ACCOUNT = "123456789012";

type Body = Record<string, unknown>;

/** The region of a block, from its provider; throws when it has none. */
export function regionOfBlock(index: StackIndex, block: Block): string {
  const region = index.regionOf(block);
  if (region === undefined) throw new Error(`no region for ${block.address}`);
  return region;
}

/** CreateQueue attributes of a synthesized `aws_sqs_queue`; `redrivePolicy` with ARNs resolved. */
export function queueAttributes(queue: Body, redrivePolicy?: string): Record<string, string> {
  const attributes: Partial<Record<QueueAttributeName, unknown>> = {
    FifoQueue: queue.fifo_queue,
    ContentBasedDeduplication: queue.content_based_deduplication,
    DeduplicationScope: queue.deduplication_scope,
    FifoThroughputLimit: queue.fifo_throughput_limit,
    VisibilityTimeout: queue.visibility_timeout_seconds,
    MessageRetentionPeriod: queue.message_retention_seconds,
    RedrivePolicy: redrivePolicy,
  };
  return Object.fromEntries(
    Object.entries(attributes)
      .filter(([, value]) => value !== undefined)
      .map(([name, value]) => [name, String(value)]),
  );
}

/**
 * The synthesized `aws_lambda_function` `fn` as the function host runs it: its package from the
 * stack directory, its handler, runtime, timeout, memory, environment and log format; hosted in
 * `region` (by default its provider's).
 */
export function deployedFunctionOf(
  index: StackIndex,
  stackDir: string,
  fn: Block,
  region = regionOfBlock(index, fn),
): DeployedFunction {
  const body = fn.body;
  const name = String(body.function_name);
  return {
    stack: index.name,
    address: fn.address,
    name,
    arn: `arn:aws:lambda:${region}:${EMULATOR_ACCOUNT}:function:${name}`,
    region,
    packagePath: resolve(stackDir, String(body.filename)),
    sourceCodeHash: String(body.source_code_hash),
    handler: String(body.handler),
    runtime: String(body.runtime),
    timeoutSeconds: Number(body.timeout),
    memoryMb: Number(body.memory_size),
    environment: (body.environment as { variables: Record<string, string> }).variables,
    logGroupName: `/aws/lambda/${name}`,
    logFormat: (body.logging_config as { log_format?: "JSON" } | undefined)?.log_format,
  };
}

/**
 * The synthesized `aws_lambda_event_source_mapping` `mapping` as the poller runs it, for the
 * queue created in the emulator at `queueUrl` / `queueArn`.
 */
export function deployedMappingOf(
  index: StackIndex,
  mapping: Block,
  fn: DeployedFunction,
  queue: { readonly url: string; readonly arn: string },
): DeployedMapping {
  const body = mapping.body;
  return {
    stack: index.name,
    address: mapping.address,
    uuid: `local-${mapping.id}`,
    functionName: fn.name,
    queueArn: queue.arn,
    queueUrl: queue.url,
    region: regionOfBlock(index, mapping),
    batchSize: Number(body.batch_size),
    batchingWindowSeconds: Number(body.maximum_batching_window_in_seconds ?? 0),
    maxConcurrency: Number((body.scaling_config as Body | undefined)?.maximum_concurrency ?? 1000),
    functionResponseTypes: (body.function_response_types as string[] | undefined) ?? [],
    enabled: body.enabled !== false,
  };
}

/**
 * The synthesized `aws_api_gateway_rest_api` `restApi` and its stage as the local runtime serves
 * them: every method with a Lambda proxy (`AWS_PROXY`) integration a route, and the functions
 * those routes run (to host with {@link deployedFunctionOf}).
 */
export function deployedApiOf(
  index: StackIndex,
  restApi: Block,
): { readonly api: DeployedApi; readonly functions: readonly Block[] } {
  const ofApi = (type: string) =>
    index
      .resources(type)
      .filter((b) => index.target(b.body.rest_api_id, ["id"])?.address === restApi.address);
  const integrations = ofApi("aws_api_gateway_integration");
  const functions: Block[] = [];
  const routes = ofApi("aws_api_gateway_method").flatMap((method): DeployedRoute[] => {
    // The integration names its method by reference (`${aws_api_gateway_method.x.http_method}`).
    const integration = integrations.find(
      (i) =>
        i.body.type === "AWS_PROXY" &&
        i.body.resource_id === method.body.resource_id &&
        (i.body.http_method === method.body.http_method ||
          index.target(i.body.http_method, ["http_method"]) === method),
    );
    const fn = integration && index.target(integration.body.uri, ["invoke_arn"]);
    if (fn === undefined) return [];
    if (!functions.includes(fn)) functions.push(fn);
    return [
      {
        path: resourcePath(index, method.body.resource_id),
        method: String(method.body.http_method),
        authorization: String(method.body.authorization ?? "NONE"),
        functionName: String(fn.body.function_name),
      },
    ];
  });
  const stage = ofApi("aws_api_gateway_stage")[0];
  if (stage === undefined) throw new Error(`no stage for ${restApi.address}`);
  const api: DeployedApi = {
    stack: index.name,
    region: regionOfBlock(index, restApi),
    apiId: `local-${restApi.id}`,
    name: String(restApi.body.name),
    stageName: String(stage.body.stage_name),
    routes,
  };
  return { api, functions };
}
