/**
 * The local deployment's steps, shared by `npm run local`, `npm run local:down` and the
 * end-to-end tests: synthesize the product into the state directory, write the emulator-only
 * overrides into that copy, and run the real `cdktf deploy` / `cdktf destroy` on it.
 *
 * The product's synthesized JSON is never changed: everything local lives in
 * `local_override.tf.json` beside it, which Terraform merges in:
 * - every aliased AWS provider sends its calls to its region's front door (the local runtime's
 *   proxy to the emulator), with dummy credentials;
 * - every event source mapping is disabled in the emulator, which would otherwise consume the
 *   messages itself; the local runtime polls instead, honouring each mapping's configured
 *   `enabled` (read from `cdk.tf.json`);
 * - the backend is a local state file in the state directory, whatever the configuration says.
 */
import { spawn } from "node:child_process";
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { awsAliases } from "../inspect/terraform-json";
import { MIRROR_ENV, mirrorCliConfig } from "../verify/offline-plan";
import { localProviderSource } from "../verify/provider-source";
import { ApplyProgress, plainLine, SPINNER } from "./cdktf-output";
import { PROJECT_ROOT, type LocalLayout } from "./layout";

/** Name of the override file in each local stack directory. */
export const LOCAL_OVERRIDE_FILE = "local_override.tf.json";

/** Dummy credentials: the emulator accepts any. */
export const LOCAL_CREDENTIALS = {
  accessKeyId: "local",
  secretAccessKey: "local",
} as const;

/** The services the stacks use, as the provider's `endpoints` block names them. */
export const PROVIDER_ENDPOINT_SERVICES = [
  "apigateway",
  "cloudwatch",
  "dynamodb",
  "iam",
  "kms",
  "lambda",
  "logs",
  "sns",
  "sqs",
  "sts",
] as const;

interface SynthesizedStack {
  readonly provider?: { readonly aws?: { readonly alias?: string; readonly region?: string }[] };
  readonly resource?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

/**
 * The override of one synthesized stack: each aliased provider (alias = region) pointed at that
 * region's endpoint, every event source mapping disabled, state in `statePath`.
 */
export function localOverride(
  synthesized: SynthesizedStack,
  endpoints: Readonly<Record<string, string>>,
  statePath: string,
): object {
  const providers = synthesized.provider?.aws ?? [];
  const aliases = awsAliases(synthesized);
  const mappings = Object.keys(synthesized.resource?.aws_lambda_event_source_mapping ?? {});
  return {
    terraform: { backend: { local: { path: statePath } } },
    provider: {
      aws: aliases.map((alias, i) => {
        const region = providers[i].region ?? alias;
        const endpoint = endpoints[region];
        if (endpoint === undefined) {
          throw new Error(
            `no local endpoint for region ${region} (have: ${Object.keys(endpoints).join(", ")})`,
          );
        }
        return {
          alias,
          access_key: LOCAL_CREDENTIALS.accessKeyId,
          secret_key: LOCAL_CREDENTIALS.secretAccessKey,
          skip_credentials_validation: true,
          skip_metadata_api_check: true,
          skip_region_validation: true,
          endpoints: [Object.fromEntries(PROVIDER_ENDPOINT_SERVICES.map((s) => [s, endpoint]))],
        };
      }),
    },
    ...(mappings.length > 0 && {
      resource: {
        aws_lambda_event_source_mapping: Object.fromEntries(
          mappings.map((name) => [name, { enabled: false }]),
        ),
      },
    }),
  };
}

/** Stack names of a synth output, from its manifest. */
export function synthesizedStacks(synthDir: string): string[] {
  const manifest = JSON.parse(readFileSync(join(synthDir, "manifest.json"), "utf8")) as {
    stacks: Record<string, unknown>;
  };
  return Object.keys(manifest.stacks);
}

/** Writes the override into every stack directory of the local synth output. */
export function writeLocalOverrides(
  layout: LocalLayout,
  endpoints: Readonly<Record<string, string>>,
): string[] {
  const stacks = synthesizedStacks(layout.synthDir);
  for (const stack of stacks) {
    const dir = layout.stackDir(stack);
    const synthesized = JSON.parse(readFileSync(join(dir, "cdk.tf.json"), "utf8"));
    const override = localOverride(
      synthesized,
      endpoints,
      join(layout.dir, `terraform.${stack}.tfstate`),
    );
    writeFileSync(join(dir, LOCAL_OVERRIDE_FILE), `${JSON.stringify(override, null, 2)}\n`);
  }
  return stacks;
}

/**
 * The environment synth and Terraform run with: configuration from `env` (so `FANOUT_*`
 * settings apply), local state forced, no prompts or checkpoint calls, and with
 * FANOUT_PROVIDER_MIRROR set a CLI config that installs hashicorp/aws from that mirror.
 */
export function localToolEnv(
  layout: LocalLayout,
  env: NodeJS.ProcessEnv = process.env,
): NodeJS.ProcessEnv {
  mkdirSync(layout.dir, { recursive: true });
  const toolEnv: NodeJS.ProcessEnv = {
    ...env,
    FANOUT_STATE_BUCKET: "",
    CHECKPOINT_DISABLE: "1",
    TF_IN_AUTOMATION: "1",
    TF_INPUT: "0",
    FORCE_COLOR: "0",
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_EC2_METADATA_DISABLED: "true",
  };
  delete toolEnv.AWS_PROFILE;
  delete toolEnv.AWS_SESSION_TOKEN;
  // The mirror named by the variable, else one in Terraform's implied local directories (a
  // mirror in the user's own CLI config is used through that config as it is).
  const found = env[MIRROR_ENV] ? undefined : localProviderSource(env);
  const mirror =
    env[MIRROR_ENV] ||
    (found !== undefined && "kind" in found && found.kind === "implied-mirror"
      ? found.mirror
      : undefined);
  if (mirror) {
    writeFileSync(layout.terraformRc, mirrorCliConfig(mirror));
    toolEnv.TF_CLI_CONFIG_FILE = layout.terraformRc;
  }
  return toolEnv;
}

/** What a cdktf command printed, and how it ended. */
export interface CdktfRun {
  readonly code: number;
  readonly output: string;
}

/**
 * Runs the project's cdktf CLI with `args` from the project root. Every output line goes to
 * `logFile` and to `onLine`; rejects with the output's tail when it exits non-zero.
 */
export function runCdktf(
  args: readonly string[],
  options: { env: NodeJS.ProcessEnv; logFile: string; onLine?: (line: string) => void },
): Promise<CdktfRun> {
  const bin = join(PROJECT_ROOT, "node_modules", ".bin", "cdktf");
  return new Promise((resolve, reject) => {
    const log = createWriteStream(options.logFile, { flags: "a" });
    log.write(`\n$ cdktf ${args.join(" ")}\n`);
    const child = spawn(bin, [...args], {
      cwd: PROJECT_ROOT,
      env: options.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const lines: string[] = [];
    let partial = "";
    const take = (chunk: Buffer): void => {
      const text = partial + chunk.toString("utf8");
      const parts = text.split(/\r?\n/);
      partial = parts.pop() ?? "";
      for (const line of parts) {
        const plain = plainLine(line);
        // The spinner's frames are noise in a log.
        if (plain.trim() === "" || SPINNER.test(plain)) continue;
        log.write(`${plain}\n`);
        lines.push(plain);
        options.onLine?.(plain);
      }
    };
    child.stdout.on("data", take);
    child.stderr.on("data", take);
    child.on("error", reject);
    child.on("close", (code) => {
      if (partial !== "") lines.push(partial);
      log.end();
      const output = lines.join("\n");
      if (code === 0) resolve({ code, output });
      else {
        const tail = lines
          .filter((l) => l.trim() !== "")
          .slice(-25)
          .join("\n");
        const offline =
          options.env[MIRROR_ENV] === undefined && output.includes("registry.terraform.io")
            ? `\n(offline? set ${MIRROR_ENV} to a filesystem mirror of hashicorp/aws 5.100.0)`
            : "";
        reject(
          new Error(
            `cdktf ${args[0]} failed (exit ${code}); see ${options.logFile}:\n${tail}${offline}`,
          ),
        );
      }
    });
  });
}

/** Synthesizes the product into the state directory (`cdktf synth --output`). */
export async function synthLocal(layout: LocalLayout, env: NodeJS.ProcessEnv): Promise<string[]> {
  await runCdktf(["synth", "--output", layout.synthDir], { env, logFile: deployLog(layout) });
  return synthesizedStacks(layout.synthDir);
}

/** Log file of every cdktf run of a deployment. */
export function deployLog(layout: LocalLayout): string {
  mkdirSync(layout.dir, { recursive: true });
  return join(layout.dir, "cdktf.log");
}

/** Options of {@link cdktfApply}. */
export interface ApplyOptions {
  readonly env: NodeJS.ProcessEnv;
  /** Called with a progress line at most every `everyMs` while it runs. */
  readonly onProgress?: (line: string) => void;
  readonly everyMs?: number;
}

/** What a deploy or destroy did. */
export interface ApplyResult {
  readonly output: string;
  /** Stacks whose plan had no changes. */
  readonly noChanges: readonly string[];
  readonly elapsedMs: number;
}

/**
 * The environment Terraform runs a local deploy or destroy with. A destroy skips Terraform's
 * refresh (`TF_CLI_ARGS_destroy`, Terraform's own way to add arguments to one command): the
 * emulator belongs to the deployment and holds what the state says, and reading every resource
 * back before deleting it cost a third of the destroy's CPU. What is left afterwards is checked
 * by listing every region, not by the state.
 */
export function applyEnv(command: "deploy" | "destroy", env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (command === "deploy") return env;
  const given = env.TF_CLI_ARGS_destroy?.trim();
  return { ...env, TF_CLI_ARGS_destroy: given ? `${given} -refresh=false` : "-refresh=false" };
}

/**
 * `cdktf deploy <stacks> --skip-synth` (or `destroy`) of the local synth output, auto-approved;
 * deploy also writes the outputs file. The provider comes from the CLI config, so no lock file
 * is fetched (`--skip-provider-lock`).
 */
export async function cdktfApply(
  command: "deploy" | "destroy",
  layout: LocalLayout,
  stacks: readonly string[],
  options: ApplyOptions,
): Promise<ApplyResult> {
  const args = [
    command,
    ...stacks,
    "--skip-synth",
    "--output",
    layout.synthDir,
    "--auto-approve",
    "--skip-provider-lock",
    "--no-color",
    ...(command === "deploy" ? ["--outputs-file", layout.deployedOutputs] : []),
  ];
  const progress = new ApplyProgress(stacks);
  const started = Date.now();
  let last = 0;
  const run = await runCdktf(args, {
    env: applyEnv(command, options.env),
    logFile: deployLog(layout),
    onLine: (line) => {
      if (!progress.take(line) || options.onProgress === undefined) return;
      const now = Date.now();
      if (now - last >= (options.everyMs ?? 5000)) {
        last = now;
        options.onProgress(
          `${command}: ${progress.summary()} (${Math.round((now - started) / 1000)} s)`,
        );
      }
    },
  });
  return { output: run.output, noChanges: progress.noChanges(), elapsedMs: Date.now() - started };
}

/** Managed resources in a stack's local state file, by type. */
export function stateResourceCounts(layout: LocalLayout, stack: string): Record<string, number> {
  const path = join(layout.dir, `terraform.${stack}.tfstate`);
  if (!existsSync(path)) return {};
  const state = JSON.parse(readFileSync(path, "utf8")) as {
    resources?: { mode: string; type: string; instances: unknown[] }[];
  };
  const counts: Record<string, number> = {};
  for (const r of state.resources ?? []) {
    if (r.mode !== "managed") continue;
    counts[r.type] = (counts[r.type] ?? 0) + r.instances.length;
  }
  return counts;
}

/** Stack directories of the local synth output, for the runtime to load. */
export function localStackDirs(layout: LocalLayout): string[] {
  const stacksDir = join(layout.synthDir, "stacks");
  if (!existsSync(stacksDir)) return [];
  return readdirSync(stacksDir)
    .sort()
    .map((stack) => layout.stackDir(stack));
}
