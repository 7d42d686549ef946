/**
 * Where a local deployment keeps its files. Everything lives under one state directory
 * (`.local/` in the project root by default, ignored by git), so several deployments (the quick
 * start's and a test's) never share a file.
 *
 * Nothing here is imported by the product's stacks or constructs.
 */
import { join, resolve } from "node:path";

/** Root of this repository (the parent of `local/`). */
export const PROJECT_ROOT = resolve(__dirname, "..");

/** The quick start's state directory. */
export const DEFAULT_STATE_DIR = join(PROJECT_ROOT, ".local");

/** Paths of one local deployment, all under `stateDir`. */
export function localLayout(stateDir: string = DEFAULT_STATE_DIR) {
  const dir = resolve(stateDir);
  return {
    /** The state directory itself. */
    dir,
    /** Emulator (moto server) process: pid, log, and `{ pid, port, url }`. */
    emulatorPid: join(dir, "emulator.pid"),
    emulatorLog: join(dir, "emulator.log"),
    emulatorInfo: join(dir, "emulator.json"),
    /** Local runtime process: pid, log, and its `RuntimeInfo`. */
    runtimePid: join(dir, "runtime.pid"),
    runtimeLog: join(dir, "runtime.log"),
    runtimeInfo: join(dir, "runtime.json"),
    /** The synthesized copy that is deployed (`cdktf synth --output`). */
    synthDir: join(dir, "cdktf.out"),
    /** One synthesized stack directory. */
    stackDir: (stack: string) => join(dir, "cdktf.out", "stacks", stack),
    /** Terraform CLI config that installs providers from the mirror. */
    terraformRc: join(dir, "terraformrc"),
    /** `cdktf deploy --outputs-file`: the stacks' outputs as Terraform has them. */
    deployedOutputs: join(dir, "deployed-outputs.json"),
    /** What the operations CLI reads: the outputs with local URLs and the region endpoints. */
    outputs: join(dir, "outputs.json"),
    /** One log file per function: every line the function printed. */
    logsDir: join(dir, "logs"),
    /** Extracted deployment packages, one folder per function and code hash. */
    functionsDir: join(dir, "functions"),
    /** The consumers' delivery journal, one JSON object a line. */
    journal: join(dir, "deliveries.jsonl"),
  };
}

export type LocalLayout = ReturnType<typeof localLayout>;
