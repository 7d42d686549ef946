/**
 * An offline `terraform plan` of synthesized stacks, with the real Terraform and the real AWS
 * provider, and no AWS account.
 *
 * Into each stack directory of a synth output it writes an `*_override.tf.json` that gives
 * every aliased AWS provider dummy credentials and the `skip_*` flags, and swaps the backend
 * for a local state inside that directory. The product's own provider blocks stay clean: the
 * override exists only in the copy being planned. With `FANOUT_PROVIDER_MIRROR` set to a
 * filesystem mirror of hashicorp/aws, `terraform init` installs from it; otherwise from the
 * registry.
 */
import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { awsAliases } from "../inspect/terraform-json";
import { PlanJson } from "../inspect/plan";

/** Environment variable naming a filesystem mirror directory of Terraform providers. */
export const MIRROR_ENV = "FANOUT_PROVIDER_MIRROR";
/** Environment variable that turns "Terraform is missing" from a skip into a failure. */
export const REQUIRE_PLAN_ENV = "FANOUT_REQUIRE_PLAN";

export const OVERRIDE_FILE = "offline_override.tf.json";

export interface StackPlan {
  readonly stack: string;
  readonly plan: PlanJson;
  /** Managed resources the plan creates. */
  readonly resourceCount: number;
}

/**
 * Why an offline plan cannot run here, or `undefined` when it can: Terraform must be on PATH
 * and `FANOUT_PROVIDER_MIRROR` must name an existing mirror directory.
 */
export function offlinePlanUnavailable(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const onPath = (env.PATH ?? "")
    .split(":")
    .some((dir) => dir !== "" && existsSync(join(dir, "terraform")));
  if (!onPath) return "terraform is not on PATH";
  const mirror = env[MIRROR_ENV];
  if (!mirror) return `${MIRROR_ENV} is not set (offline, hashicorp/aws comes from a mirror)`;
  if (!existsSync(mirror)) return `${MIRROR_ENV}=${mirror} does not exist`;
  return undefined;
}

/** The override that makes a stack plannable without an AWS account. */
export function offlineOverride(aliases: readonly string[]): object {
  return {
    terraform: { backend: { local: { path: "offline.tfstate" } } },
    provider: {
      aws: aliases.map((alias) => ({
        alias,
        access_key: "offline-plan",
        secret_key: "offline-plan",
        skip_credentials_validation: true,
        skip_requesting_account_id: true,
        skip_metadata_api_check: true,
        skip_region_validation: true,
      })),
    },
  };
}

/** A Terraform CLI config that installs hashicorp/aws from the mirror and nothing from the network. */
export function mirrorCliConfig(mirror: string): string {
  return [
    "provider_installation {",
    "  filesystem_mirror {",
    `    path    = ${JSON.stringify(mirror)}`,
    '    include = ["registry.terraform.io/hashicorp/*"]',
    "  }",
    "  direct {",
    '    exclude = ["registry.terraform.io/hashicorp/*"]',
    "  }",
    "}",
    "",
  ].join("\n");
}

/**
 * Runs `terraform <args>` in `cwd` and answers its stdout. A failure rejects with Terraform's
 * output, unless `acceptFailure(stdout)` says the output is still the answer (e.g. `validate
 * -json`, which exits 1 on an invalid configuration but prints its JSON).
 */
export function runTerraform(
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  acceptFailure: (stdout: string) => boolean = () => false,
): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      "terraform",
      args,
      { cwd, env, maxBuffer: 256 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error && !acceptFailure(stdout)) {
          reject(new Error(`terraform ${args[0]} failed in ${cwd}:\n${stderr || stdout}`));
        } else {
          resolve(stdout);
        }
      },
    );
  });
}

/**
 * The environment Terraform runs with in a stack directory: no prompts, no checkpoint calls,
 * and, with FANOUT_PROVIDER_MIRROR set, a CLI config in `dir` that installs from the mirror.
 */
export function terraformEnv(dir: string, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const tfEnv: NodeJS.ProcessEnv = {
    ...env,
    TF_IN_AUTOMATION: "1",
    TF_INPUT: "0",
    CHECKPOINT_DISABLE: "1",
  };
  const mirror = env[MIRROR_ENV];
  if (mirror) {
    const cliConfig = join(dir, "offline.tfrc");
    writeFileSync(cliConfig, mirrorCliConfig(mirror));
    tfEnv.TF_CLI_CONFIG_FILE = cliConfig;
  }
  return tfEnv;
}

/** Plans one synthesized stack directory offline and returns `terraform show -json` of it. */
export async function planStackDir(
  stackDir: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<PlanJson> {
  const synthesized = JSON.parse(readFileSync(join(stackDir, "cdk.tf.json"), "utf8"));
  writeFileSync(
    join(stackDir, OVERRIDE_FILE),
    JSON.stringify(offlineOverride(awsAliases(synthesized)), null, 2),
  );
  const tfEnv = terraformEnv(stackDir, env);
  await runTerraform(["init", "-no-color", "-input=false"], stackDir, tfEnv);
  await runTerraform(
    ["plan", "-no-color", "-input=false", "-lock=false", "-refresh=false", "-out=offline.tfplan"],
    stackDir,
    tfEnv,
  );
  return JSON.parse(
    await runTerraform(["show", "-json", "-no-color", "offline.tfplan"], stackDir, tfEnv),
  );
}

/** Number of managed resources a plan creates. */
export function createdResourceCount(plan: PlanJson): number {
  return (plan.resource_changes ?? []).filter(
    (r) => r.mode === "managed" && r.change.actions.includes("create"),
  ).length;
}

/**
 * Plans every stack under `<outdir>/stacks`, two at a time (Terraform and the provider are
 * mostly waiting on each other; more would only contend for the cores).
 */
export async function planAll(
  outdir: string,
  env: NodeJS.ProcessEnv = process.env,
  concurrency = 2,
): Promise<StackPlan[]> {
  const stacksDir = join(outdir, "stacks");
  const stacks = readdirSync(stacksDir).sort();
  const results: StackPlan[] = new Array(stacks.length);
  let next = 0;
  const worker = async () => {
    while (next < stacks.length) {
      const i = next++;
      const plan = await planStackDir(join(stacksDir, stacks[i]), env);
      results[i] = { stack: stacks[i], plan, resourceCount: createdResourceCount(plan) };
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, stacks.length) }, worker));
  return results;
}
