/**
 * Synthesis outside the cdktf CLI, for the plan script, the benchmark and the tests: the same
 * configuration layers and the same stacks as `main.ts`, written to a directory of choice.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { App } from "cdktf";
import { CONTEXT_KEY, FanoutConfig, loadConfig } from "../config/config";
import { PROJECT_ROOT } from "../constructs/bundling";
import { createStacks, FanoutStack } from "../stacks/fanout-stack";

export { PROJECT_ROOT };

/** `context.fanout` of the project's cdktf.json. */
export function cdktfJsonContext(root = PROJECT_ROOT): unknown {
  const cdktfJson = JSON.parse(readFileSync(join(root, "cdktf.json"), "utf8"));
  return cdktfJson.context?.[CONTEXT_KEY];
}

/** The configuration `cdktf synth` would use: cdktf.json's context, then the environment. */
export function projectConfig(env: NodeJS.ProcessEnv = process.env): FanoutConfig {
  return loadConfig({ context: cdktfJsonContext(), env });
}

/** Synthesizes every stack of `config` into `outdir` (`<outdir>/stacks/<stack>/cdk.tf.json`). */
export function synthToDir(config: FanoutConfig, outdir: string): FanoutStack[] {
  const app = new App({ outdir });
  const stacks = createStacks(app, config);
  app.synth();
  return stacks;
}
