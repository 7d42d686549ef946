/**
 * What a deployed stack runs, read from its Terraform state (`terraform show -json`) and its
 * synthesized configuration (`cdk.tf.json`): functions, SQS event source mappings and REST APIs.
 *
 * The state says what exists and where (ARNs, URLs, packages). The synthesized JSON says what
 * the product configured where the local copy overrides it or the emulator forgets it: whether
 * a mapping is enabled (the local copy disables every mapping, so the emulator does not consume
 * messages itself) and a function's logging config.
 */
import { readFile } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { runTerraform, terraformEnv, MIRROR_ENV } from "../../verify/offline-plan";
import type {
  DeployedApi,
  DeployedFunction,
  DeployedMapping,
  DeployedRoute,
  DeployedStack,
} from "./types";

/** Lambda's concurrency limit of a mapping without `scaling_config` (the account default). */
export const DEFAULT_MAX_CONCURRENCY = 1000;

/** The parts of `terraform show -json` (of a state) read here. */
export interface ShowJson {
  readonly values?: {
    readonly outputs?: Readonly<Record<string, { readonly value?: unknown }>>;
    readonly root_module?: StateModule;
  };
}

export interface StateModule {
  readonly resources?: readonly StateResource[];
  readonly child_modules?: readonly StateModule[];
}

export interface StateResource {
  readonly address: string;
  readonly mode: "managed" | "data";
  readonly type: string;
  readonly name: string;
  readonly values: Readonly<Record<string, unknown>>;
}

/** The parts of a synthesized `cdk.tf.json` read here. */
export interface SynthesizedJson {
  readonly resource?: Readonly<
    Record<string, Readonly<Record<string, Readonly<Record<string, unknown>>>>>
  >;
  readonly output?: Readonly<Record<string, { readonly value?: unknown }>>;
}

function allResources(module: StateModule | undefined): StateResource[] {
  if (module === undefined) return [];
  return [
    ...(module.resources ?? []).filter((r) => r.mode === "managed"),
    ...(module.child_modules ?? []).flatMap(allResources),
  ];
}

function str(resource: StateResource, key: string): string {
  const value = resource.values[key];
  return typeof value === "string" ? value : "";
}

function num(resource: StateResource, key: string, fallback: number): number {
  const value = resource.values[key];
  return typeof value === "number" && Number.isFinite(value) ? value : fallback;
}

/** The first element of a nested block (Terraform's list of one), or undefined. */
function block(resource: StateResource, key: string): Record<string, unknown> | undefined {
  const value = resource.values[key];
  if (!Array.isArray(value) || value.length === 0) return undefined;
  const [first] = value;
  return typeof first === "object" && first !== null
    ? (first as Record<string, unknown>)
    : undefined;
}

/** The region of an ARN (`arn:aws:<service>:<region>:...`). */
export function regionOfArn(arn: string): string {
  const region = arn.split(":")[3];
  if (!region) throw new Error(`No region in ARN ${JSON.stringify(arn)}`);
  return region;
}

/** `${type.name.attr}` -> the referenced resource's address and attribute. */
function reference(value: unknown): { address: string; attribute: string } | undefined {
  if (typeof value !== "string") return undefined;
  const match = /^\$\{([a-z0-9_]+\.[A-Za-z0-9_-]+)\.([a-z0-9_]+)\}$/.exec(value);
  return match ? { address: match[1], attribute: match[2] } : undefined;
}

function synthesizedResource(
  synthesized: SynthesizedJson,
  resource: StateResource,
): Readonly<Record<string, unknown>> | undefined {
  return synthesized.resource?.[resource.type]?.[resource.name];
}

function readFunction(
  stack: string,
  stackDir: string,
  resource: StateResource,
  synthesized: SynthesizedJson,
  byAddress: ReadonlyMap<string, StateResource>,
): DeployedFunction {
  const name = str(resource, "function_name");
  const arn = str(resource, "arn");
  const variables = block(resource, "environment")?.variables;
  const environment: Record<string, string> = {};
  if (typeof variables === "object" && variables !== null) {
    for (const [key, value] of Object.entries(variables)) {
      if (typeof value === "string") environment[key] = value;
    }
  }

  // The emulator may answer no logging config; the product's configured one then stands.
  const stateLogging = block(resource, "logging_config");
  const configured = synthesizedResource(synthesized, resource)?.logging_config;
  const configuredLogging = (Array.isArray(configured) ? configured[0] : configured) as
    Record<string, unknown> | undefined;
  const logFormatValue = stateLogging?.log_format || configuredLogging?.log_format;
  let logGroupName = typeof stateLogging?.log_group === "string" ? stateLogging.log_group : "";
  if (logGroupName === "" && configuredLogging !== undefined) {
    const group = configuredLogging.log_group;
    const ref = reference(group);
    if (ref !== undefined) {
      const target = byAddress.get(ref.address);
      if (target !== undefined) logGroupName = str(target, ref.attribute);
    } else if (typeof group === "string") {
      logGroupName = group;
    }
  }

  const fn: DeployedFunction = {
    stack,
    address: resource.address,
    name,
    arn,
    region: regionOfArn(arn),
    packagePath: resolve(stackDir, str(resource, "filename")),
    sourceCodeHash: str(resource, "source_code_hash"),
    handler: str(resource, "handler"),
    runtime: str(resource, "runtime"),
    timeoutSeconds: num(resource, "timeout", 3),
    memoryMb: num(resource, "memory_size", 128),
    environment,
    logGroupName: logGroupName || `/aws/lambda/${name}`,
    logFormat: logFormatValue === "JSON" ? "JSON" : "Text",
  };
  if (fn.name === "" || fn.arn === "" || str(resource, "filename") === "") {
    throw new Error(
      `${resource.address} in ${stackDir}: expected function_name, arn and filename in the state (a zip package)`,
    );
  }
  return fn;
}

function configuredEnabled(
  synthesized: SynthesizedJson,
  resource: StateResource,
  stackDir: string,
): boolean {
  const enabled = synthesizedResource(synthesized, resource)?.enabled;
  if (enabled === undefined || enabled === true || enabled === "true") return true;
  if (enabled === false || enabled === "false") return false;
  throw new Error(
    `${resource.address} in ${stackDir}/cdk.tf.json: enabled is ${JSON.stringify(enabled)}; expected true or false`,
  );
}

function readMapping(
  stack: string,
  stackDir: string,
  resource: StateResource,
  synthesized: SynthesizedJson,
  functions: readonly DeployedFunction[],
  queues: readonly StateResource[],
): DeployedMapping {
  const queueArn = str(resource, "event_source_arn");
  const functionRef = str(resource, "function_arn") || str(resource, "function_name");
  const fn = functions.find(
    (candidate) =>
      candidate.arn === functionRef ||
      functionRef.startsWith(`${candidate.arn}:`) ||
      candidate.name === functionRef,
  );
  if (fn === undefined) {
    throw new Error(
      `${resource.address} in ${stackDir}: no function in the state has ${functionRef}`,
    );
  }
  const queue = queues.find((candidate) => str(candidate, "arn") === queueArn);
  if (queue === undefined) {
    throw new Error(
      `${resource.address} in ${stackDir}: no aws_sqs_queue in the state has ${queueArn}`,
    );
  }
  const maxConcurrency = block(resource, "scaling_config")?.maximum_concurrency;
  const types = resource.values.function_response_types;
  return {
    stack,
    address: resource.address,
    uuid: str(resource, "uuid") || str(resource, "id"),
    functionName: fn.name,
    queueArn,
    queueUrl: str(queue, "url") || str(queue, "id"),
    region: regionOfArn(queueArn),
    batchSize: num(resource, "batch_size", 10),
    batchingWindowSeconds: num(resource, "maximum_batching_window_in_seconds", 0),
    maxConcurrency:
      typeof maxConcurrency === "number" && maxConcurrency > 0
        ? maxConcurrency
        : DEFAULT_MAX_CONCURRENCY,
    functionResponseTypes: Array.isArray(types)
      ? types.filter((type): type is string => typeof type === "string")
      : [],
    enabled: configuredEnabled(synthesized, resource, stackDir),
  };
}

/** The function an integration URI (`arn:aws:apigateway:...:lambda:path/.../functions/<arn>/invocations`) calls. */
function integrationFunction(
  uri: string,
  functions: readonly DeployedFunction[],
  byAddress: ReadonlyMap<string, StateResource>,
): DeployedFunction | undefined {
  return functions.find((fn) => {
    const state = byAddress.get(fn.address);
    const invokeArns = [str(state!, "invoke_arn"), str(state!, "qualified_invoke_arn")];
    return (
      invokeArns.includes(uri) ||
      uri.includes(`/functions/${fn.arn}/`) ||
      uri.includes(`/functions/${fn.arn}:`)
    );
  });
}

function resourcePath(
  resource: StateResource,
  resources: ReadonlyMap<string, StateResource>,
  rootId: string,
): string {
  const path = str(resource, "path");
  if (path !== "") return path;
  const parts: string[] = [];
  let current: StateResource | undefined = resource;
  while (current !== undefined && str(current, "id") !== rootId) {
    parts.unshift(str(current, "path_part"));
    current = resources.get(str(current, "parent_id"));
  }
  return `/${parts.join("/")}`;
}

function readApis(
  stack: string,
  resources: readonly StateResource[],
  functions: readonly DeployedFunction[],
  byAddress: ReadonlyMap<string, StateResource>,
): DeployedApi[] {
  const ofType = (type: string) => resources.filter((r) => r.type === type);
  const apiResources = new Map(
    ofType("aws_api_gateway_resource").map((r) => [str(r, "id"), r] as const),
  );
  const methods = ofType("aws_api_gateway_method");
  const integrations = ofType("aws_api_gateway_integration");
  const stages = ofType("aws_api_gateway_stage");

  const apis: DeployedApi[] = [];
  for (const api of ofType("aws_api_gateway_rest_api")) {
    const apiId = str(api, "id");
    const rootId = str(api, "root_resource_id");
    const routes: DeployedRoute[] = [];
    for (const method of methods.filter((m) => str(m, "rest_api_id") === apiId)) {
      const resourceId = str(method, "resource_id");
      const httpMethod = str(method, "http_method");
      const integration = integrations.find(
        (i) =>
          str(i, "rest_api_id") === apiId &&
          str(i, "resource_id") === resourceId &&
          str(i, "http_method") === httpMethod,
      );
      if (integration === undefined || str(integration, "type") !== "AWS_PROXY") continue;
      const fn = integrationFunction(str(integration, "uri"), functions, byAddress);
      if (fn === undefined) continue;
      const resource = apiResources.get(resourceId);
      routes.push({
        path: resource === undefined ? "/" : resourcePath(resource, apiResources, rootId),
        method: httpMethod,
        authorization: str(method, "authorization") || "NONE",
        functionName: fn.name,
      });
    }
    routes.sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method));
    for (const stage of stages.filter((s) => str(s, "rest_api_id") === apiId)) {
      apis.push({
        stack,
        region: regionOfArn(str(api, "arn")),
        apiId,
        name: str(api, "name"),
        stageName: str(stage, "stage_name"),
        routes,
      });
    }
  }
  return apis;
}

/**
 * Reads one stack from `terraform show -json` of its state and its synthesized JSON: every
 * Lambda function (package path against `stackDir`), every SQS event source mapping (queue URL
 * from the state's queue of that ARN, `enabled` as the product configures it) and every REST
 * API stage with its Lambda proxy routes. Pure.
 *
 * @throws Error when the state contradicts itself (a mapping whose function or queue is missing)
 */
export function parseDeployment(
  stack: string,
  stackDir: string,
  showJson: ShowJson,
  synthesizedJson: SynthesizedJson,
): DeployedStack {
  const dir = resolve(stackDir);
  const resources = allResources(showJson.values?.root_module);
  const byAddress = new Map(resources.map((r) => [r.address, r] as const));
  const functions = resources
    .filter((r) => r.type === "aws_lambda_function")
    .map((r) => readFunction(stack, dir, r, synthesizedJson, byAddress));
  const queues = resources.filter((r) => r.type === "aws_sqs_queue");
  const mappings = resources
    .filter((r) => r.type === "aws_lambda_event_source_mapping")
    .filter((r) => str(r, "event_source_arn").startsWith("arn:aws:sqs:"))
    .map((r) => readMapping(stack, dir, r, synthesizedJson, functions, queues));
  const apis = readApis(stack, resources, functions, byAddress);

  const output = showJson.values?.outputs?.region?.value ?? synthesizedJson.output?.region?.value;
  const region =
    typeof output === "string" && output !== ""
      ? output
      : (apis[0]?.region ?? functions[0]?.region ?? "");
  return { stack, stackDir: dir, region, functions, mappings, apis };
}

/** Options of {@link readDeployment}. */
export interface ReadDeploymentOptions {
  /**
   * Environment Terraform runs with (`TF_CLI_CONFIG_FILE`, ...).
   * @default - process.env
   */
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Reads the deployed stack of a synthesized stack directory (`.../stacks/<stack>`): runs
 * `terraform show -json` there and parses it with the directory's `cdk.tf.json`.
 *
 * @throws Error when Terraform fails or the directory holds no `cdk.tf.json`
 */
export async function readDeployment(
  stackDir: string,
  options: ReadDeploymentOptions = {},
): Promise<DeployedStack> {
  const dir = resolve(stackDir);
  const synthesized = JSON.parse(
    await readFile(join(dir, "cdk.tf.json"), "utf8"),
  ) as SynthesizedJson;
  // `show` installs nothing: keep the caller's CLI config rather than writing a mirror config.
  const env = { ...(options.env ?? process.env) };
  delete env[MIRROR_ENV];
  const show = await runTerraform(["show", "-json", "-no-color"], dir, terraformEnv(dir, env));
  return parseDeployment(basename(dir), dir, JSON.parse(show) as ShowJson, synthesized);
}
