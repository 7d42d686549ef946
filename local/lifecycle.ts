/**
 * Bringing a local deployment up and down: the emulator, the local runtime (front doors first:
 * Terraform deploys through them), `cdktf deploy` of every stack, the runtime loaded with what
 * was deployed, and the CLI's outputs file; then, on the way down, `cdktf destroy`, a check that
 * nothing is left in any region, and both processes stopped.
 */
import { existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { projectConfig } from "../inspect/synth";
import { localProviderSource, MIRROR_REMEDY, registryAnswers } from "../verify/provider-source";
import {
  cdktfApply,
  localStackDirs,
  localToolEnv,
  stateResourceCounts,
  synthesizedStacks,
  synthLocal,
  writeLocalOverrides,
  type ApplyResult,
} from "./deployment";
import { emulatorUnavailable, readEmulator, startEmulator, stopEmulator } from "./emulator";
import { formatLeftovers, leftovers, type Leftover } from "./inventory";
import { localLayout, type LocalLayout } from "./layout";
import { writeLocalOutputs } from "./outputs";
import { readRuntime, RuntimeClient, startRuntime, stopRuntime } from "./runtime/client";
import type { LoadResult, RuntimeInfo } from "./runtime/types";

export interface LifecycleOptions {
  /** @default - `.local/` in the project root */
  readonly stateDir?: string;
  /** Configuration (`FANOUT_*`) and tool environment. @default - process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Progress lines. */
  readonly log?: (line: string) => void;
}

/** A running local deployment. */
export interface LocalDeployment {
  readonly layout: LocalLayout;
  readonly stacks: readonly string[];
  readonly regions: readonly string[];
  readonly runtime: RuntimeInfo;
  readonly client: RuntimeClient;
  readonly loaded: LoadResult;
  readonly deploy: ApplyResult;
  /** The CLI's outputs file, as written to `layout.outputs`. */
  readonly outputs: Record<string, unknown>;
}

/** Why a local deployment cannot run here, in one line, or undefined. */
export function localDeploymentUnavailable(
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  const onPath = (env.PATH ?? "")
    .split(":")
    .some((dir) => dir !== "" && existsSync(join(dir, "terraform")));
  if (!onPath) return "terraform is not on PATH (Terraform 1.11 or later)";
  return emulatorUnavailable(env);
}

/**
 * Why Terraform could not install hashicorp/aws here, or undefined: no local mirror (the
 * variable, the CLI config, Terraform's implied directories) and no answer from the registry.
 * Asked before anything starts, so an offline machine gets one line instead of a failed init.
 */
async function providerProblem(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const local = localProviderSource(env);
  if (!("problem" in local) || (await registryAnswers())) return undefined;
  return `${local.problem}, and the Terraform registry does not answer; to work offline, ${MIRROR_REMEDY}`;
}

/** Files of an earlier deployment whose emulator is gone: its state describes nothing real. */
function clearStale(layout: LocalLayout): void {
  if (!existsSync(layout.dir)) return;
  for (const name of readdirSync(layout.dir)) {
    if (
      /^terraform\..*\.tfstate/.test(name) ||
      name === "deliveries.jsonl" ||
      name.endsWith("outputs.json")
    ) {
      rmSync(join(layout.dir, name), { force: true });
    }
  }
}

/**
 * Starts (or reuses) the emulator and the runtime, synthesizes, deploys every stack with
 * `cdktf deploy`, loads the runtime and writes the CLI's outputs file. Running it again on a
 * deployment that is up re-deploys (a no-op when nothing changed) and reloads the runtime.
 */
export async function up(options: LifecycleOptions = {}): Promise<LocalDeployment> {
  const log = options.log ?? (() => undefined);
  const env = options.env ?? process.env;
  const layout = localLayout(options.stateDir);
  const regions = projectConfig(env).regions;

  const unavailable = localDeploymentUnavailable(env) ?? (await providerProblem(env));
  if (unavailable) throw new Error(`local deployment unavailable: ${unavailable}`);

  if (readEmulator(layout.dir) === undefined) clearStale(layout);
  const toolEnv = localToolEnv(layout, env);
  // Synthesis needs neither process, so it runs while they start.
  log("synthesizing (cdktf synth) ...");
  const [stacks, runtime] = await Promise.all([
    synthLocal(layout, toolEnv),
    startProcesses(layout, regions, log),
  ]);
  const deployment = await deployAndLoad(layout, runtime, toolEnv, stacks, log);
  return { ...deployment, regions };
}

/** The emulator and the runtime, started unless they are up (the runtime again when regions changed). */
async function startProcesses(
  layout: LocalLayout,
  regions: readonly string[],
  log: (line: string) => void,
): Promise<RuntimeInfo> {
  let emulator = readEmulator(layout.dir);
  if (emulator === undefined) {
    log("starting the emulator (moto server) ...");
    emulator = await startEmulator({ stateDir: layout.dir });
  }
  log(`emulator: ${emulator.url} (pid ${emulator.pid}, log ${layout.emulatorLog})`);

  let runtime = readRuntime(layout.dir);
  if (runtime !== undefined && regions.some((r) => runtime?.endpoints[r] === undefined)) {
    await stopRuntime(layout.dir);
    runtime = undefined;
  }
  if (runtime === undefined) {
    log("starting the local runtime (front doors per region, pollers, APIs) ...");
    runtime = await startRuntime({ stateDir: layout.dir, emulatorUrl: emulator.url, regions });
  }
  log(`runtime: control ${runtime.controlUrl} (pid ${runtime.pid}, log ${layout.runtimeLog})`);
  for (const [region, url] of Object.entries(runtime.endpoints)) log(`  ${region} -> ${url}`);
  return runtime;
}

/** Deploys the synthesized `stacks` with `cdktf deploy`, loads the runtime, writes the outputs file. */
async function deployAndLoad(
  layout: LocalLayout,
  runtime: RuntimeInfo,
  toolEnv: NodeJS.ProcessEnv,
  stacks: string[],
  log: (line: string) => void,
): Promise<Omit<LocalDeployment, "regions">> {
  writeLocalOverrides(layout, runtime.endpoints);
  log(`deploying ${stacks.join(" ")} (cdktf deploy) ...`);
  const client = new RuntimeClient(runtime.controlUrl);
  // Consumers stop before Terraform touches their functions, and start on what was deployed.
  await client.unload();
  const deploy = await cdktfApply("deploy", layout, stacks, { env: toolEnv, onProgress: log });
  log(
    `deployed in ${(deploy.elapsedMs / 1000).toFixed(0)} s` +
      (deploy.noChanges.length > 0 ? `; no changes: ${deploy.noChanges.join(", ")}` : ""),
  );
  const loaded = await client.load(localStackDirs(layout));
  const outputs = writeLocalOutputs(layout, loaded.apis, runtime);
  log(
    `runtime: ${loaded.functions} functions, ${loaded.mappings} event source mappings; outputs ${layout.outputs}`,
  );
  return { layout, stacks, runtime, client, loaded, deploy, outputs };
}

/** Re-synthesizes with `env` and deploys again over a deployment that is up. */
export async function redeploy(
  deployment: LocalDeployment,
  options: Omit<LifecycleOptions, "stateDir"> = {},
): Promise<LocalDeployment> {
  const log = options.log ?? (() => undefined);
  const toolEnv = localToolEnv(deployment.layout, options.env ?? process.env);
  log("synthesizing (cdktf synth) ...");
  const stacks = await synthLocal(deployment.layout, toolEnv);
  const redeployed = await deployAndLoad(
    deployment.layout,
    deployment.runtime,
    toolEnv,
    stacks,
    log,
  );
  return { ...redeployed, regions: deployment.regions };
}

/** What `down` did. */
export interface DownResult {
  readonly destroyed: readonly string[];
  readonly destroy?: ApplyResult;
  readonly leftovers: readonly Leftover[];
  readonly regions: readonly string[];
}

/**
 * `cdktf destroy` of every deployed stack, a listing of what is left in every region (nothing,
 * when all is well), then the runtime and the emulator stopped.
 */
export async function down(options: LifecycleOptions = {}): Promise<DownResult> {
  const log = options.log ?? (() => undefined);
  const env = options.env ?? process.env;
  const layout = localLayout(options.stateDir);
  const emulator = readEmulator(layout.dir);
  if (emulator === undefined) {
    log("no emulator running: nothing deployed to destroy");
    await stopRuntime(layout.dir);
    clearStale(layout);
    return { destroyed: [], leftovers: [], regions: [] };
  }
  let runtime = readRuntime(layout.dir);
  if (runtime === undefined) {
    // Terraform reaches the emulator through the front doors: bring them back.
    const regions = projectConfig(env).regions;
    runtime = await startRuntime({ stateDir: layout.dir, emulatorUrl: emulator.url, regions });
  }
  const client = new RuntimeClient(runtime.controlUrl);
  await client.unload();

  let destroy: ApplyResult | undefined;
  let destroyed: string[] = [];
  // Only stacks with a state: a deploy that failed before creating anything has none to destroy.
  const deployed = existsSync(join(layout.synthDir, "manifest.json"))
    ? synthesizedStacks(layout.synthDir).filter(
        (stack) => Object.keys(stateResourceCounts(layout, stack)).length > 0,
      )
    : [];
  if (deployed.length > 0) {
    destroyed = deployed;
    const toolEnv = localToolEnv(layout, env);
    writeLocalOverrides(layout, runtime.endpoints);
    log(`destroying ${destroyed.join(" ")} (cdktf destroy) ...`);
    destroy = await cdktfApply("destroy", layout, destroyed, { env: toolEnv, onProgress: log });
    log(`destroyed in ${(destroy.elapsedMs / 1000).toFixed(0)} s`);
  }
  const found = await leftovers(runtime.endpoints);
  formatLeftovers(Object.keys(runtime.endpoints), found).forEach(log);

  await stopRuntime(layout.dir);
  await stopEmulator(layout.dir);
  clearStale(layout);
  log("runtime and emulator stopped");
  return { destroyed, destroy, leftovers: found, regions: Object.keys(runtime.endpoints) };
}
