/**
 * What the live suites take from a synthesized stack for the local runtime: a function as the
 * function host runs it, an event source mapping as the poller runs it.
 */
import { resolve } from "node:path";
import type { StackIndex } from "../../../inspect/stack-index";
import type { Block } from "../../../inspect/terraform-json";
import type { DeployedFunction, DeployedMapping } from "../../runtime/types";

/** The account the emulator's ARNs carry. */
export const EMULATOR_ACCOUNT = "123456789012";

type Body = Record<string, unknown>;

/** The region of a block, from its provider; throws when it has none. */
export function regionOfBlock(index: StackIndex, block: Block): string {
  const region = index.regionOf(block);
  if (region === undefined) throw new Error(`no region for ${block.address}`);
  return region;
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
