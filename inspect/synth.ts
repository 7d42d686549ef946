/**
 * Synthesis outside the cdktf CLI, for the scripts, the benchmark and the tests: the same
 * configuration layers and the same stacks as `main.ts`, written to a directory of choice, and
 * the reading of a synth output back.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App } from "cdktf";
import { ConfigError, CONTEXT_KEY, FanoutConfig, loadConfig } from "../config/config";
import { PROJECT_ROOT } from "../constructs/bundling";
import { createStacks, FanoutStack } from "../stacks/fanout-stack";
import { StackJson, TerraformJson } from "./terraform-json";

export { PROJECT_ROOT };

/**
 * The project's cdktf.json, parsed. A syntax error throws a one-line ConfigError naming the
 * file and the line and column.
 */
export function readCdktfJson(root = PROJECT_ROOT): { context?: Record<string, unknown> } {
  const file = join(root, "cdktf.json");
  const text = readFileSync(file, "utf8");
  try {
    return JSON.parse(text) as { context?: Record<string, unknown> };
  } catch (error) {
    const message = (error as Error).message;
    const position = /at position (\d+)/.exec(message);
    let where = "";
    if (position) {
      const before = text.slice(0, Number(position[1])).split("\n");
      where = ` (line ${before.length}, column ${before[before.length - 1].length + 1})`;
    }
    throw new ConfigError(
      `Invalid cdktf.json (${file}): ${message}${where}; allowed: JSON, as \`cdktf init\` writes it`,
    );
  }
}

/** `context.fanout` of the project's cdktf.json. */
export function cdktfJsonContext(root = PROJECT_ROOT): unknown {
  return readCdktfJson(root).context?.[CONTEXT_KEY];
}

/** The configuration `cdktf synth` would use: cdktf.json's context, then the environment. */
export function projectConfig(
  env: NodeJS.ProcessEnv = process.env,
  root = PROJECT_ROOT,
): FanoutConfig {
  const { context } = readCdktfJson(root);
  return loadConfig({ context: context?.[CONTEXT_KEY], env, wholeContext: context ?? {} });
}

export interface SynthOptions {
  /**
   * Write HCL (`cdk.tf`) instead of JSON. cdktf 0.21's stacks read the HCL switch from
   * `SYNTH_HCL_OUTPUT` only (not from the App's `hclOutput`), so the variable is set for the
   * duration of the synth.
   * @default false - JSON (`cdk.tf.json`)
   */
  readonly hcl?: boolean;
}

/**
 * Synthesizes every stack of `config` into `outdir` (`<outdir>/stacks/<stack>/cdk.tf.json`, or
 * `cdk.tf` with `hcl`). The one place outside `main.ts` that builds the app.
 */
export function synthesize(
  config: FanoutConfig,
  outdir: string,
  options: SynthOptions = {},
): FanoutStack[] {
  const before = process.env.SYNTH_HCL_OUTPUT;
  if (options.hcl) process.env.SYNTH_HCL_OUTPUT = "true";
  try {
    const app = new App({ outdir, hclOutput: options.hcl === true });
    const stacks = createStacks(app, config);
    app.synth();
    return stacks;
  } finally {
    if (before === undefined) delete process.env.SYNTH_HCL_OUTPUT;
    else process.env.SYNTH_HCL_OUTPUT = before;
  }
}

/** Reads every stack of a synth output directory (`<outdir>/stacks/<stack>/cdk.tf.json`). */
export function readStacks(outdir: string): StackJson[] {
  const stacksDir = join(outdir, "stacks");
  if (!existsSync(outdir)) {
    throw new Error(
      `${outdir} does not exist; give a cdktf synth output (npm run synth writes cdktf.out)`,
    );
  }
  if (!existsSync(stacksDir)) {
    throw new Error(
      `${outdir} holds no stacks/ directory; is it a cdktf synth output? (npm run synth writes cdktf.out)`,
    );
  }
  const names = readdirSync(stacksDir)
    .filter((name) => existsSync(join(stacksDir, name, "cdk.tf.json")))
    .sort();
  if (names.length === 0) throw new Error(`${stacksDir} holds no cdk.tf.json`);
  return names.map((name) => ({
    name,
    json: JSON.parse(readFileSync(join(stacksDir, name, "cdk.tf.json"), "utf8")) as TerraformJson,
  }));
}

/** A fresh temporary directory for a synth output. */
export function tempOutdir(label: string): string {
  return mkdtempSync(join(tmpdir(), `fanout-${label}-`));
}

/** Synthesizes every stack of `config` into a temporary directory and reads it back. */
export function synthStacks(config: FanoutConfig): StackJson[] {
  const outdir = tempOutdir("synth");
  try {
    synthesize(config, outdir);
    return readStacks(outdir);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
