/**
 * An offline `terraform plan` of synthesized stacks, with the real Terraform and the real AWS
 * provider, and no AWS account.
 *
 * Into each stack directory of a synth output it writes an `*_override.tf.json` that gives
 * every aliased AWS provider dummy credentials and the `skip_*` flags, and swaps the backend
 * for a local state inside that directory. The product's own provider blocks stay clean: the
 * override exists only in the copy being planned. With `FANOUT_PROVIDER_MIRROR` set to a
 * filesystem mirror of hashicorp/aws, `terraform init` installs from it; otherwise as the
 * user's Terraform would (its CLI config, its implied local mirrors, the registry).
 */
import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { awsAliases } from "../inspect/terraform-json";
import { PlanJson } from "../inspect/plan";
import { localProviderSource, MIRROR_ENV, MIRROR_REMEDY } from "./provider-source";

export { MIRROR_ENV };
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
 * Set by the test run's global setup (`__tests__/support/global-setup.ts`) to `answers` when
 * the registry answered its one quick request for the provider; read by
 * `offlinePlanBlocker`, which must answer synchronously.
 */
export const REGISTRY_ANSWERS_ENV = "FANOUT_TEST_REGISTRY_ANSWERS";

/** Why an offline plan cannot run here, and exactly what to do about it. */
export interface Blocker {
  readonly reason: string;
  readonly remedy: string;
}

/** Whether an executable `terraform` is in one of PATH's directories. */
export function terraformOnPath(env: NodeJS.ProcessEnv = process.env): boolean {
  return (env.PATH ?? "")
    .split(":")
    .some((dir) => dir !== "" && existsSync(join(dir, "terraform")));
}

/**
 * What stops an offline plan here, or `undefined` when it can run: Terraform must be on PATH
 * and the pinned AWS provider within reach (see provider-source.ts: FANOUT_PROVIDER_MIRROR,
 * the CLI config's or Terraform's implied mirrors, or the registry when it answered).
 */
export function offlinePlanBlocker(env: NodeJS.ProcessEnv = process.env): Blocker | undefined {
  if (!terraformOnPath(env)) {
    return {
      reason: "terraform is not on PATH",
      remedy: "install Terraform 1.11 (the version in .terraform-version) on PATH",
    };
  }
  const source = localProviderSource(env);
  if (!("problem" in source)) return undefined;
  if (!env[MIRROR_ENV] && env[REGISTRY_ANSWERS_ENV] === "answers") return undefined;
  const registry = env[MIRROR_ENV] ? "" : ", and the registry does not answer";
  return { reason: `${source.problem}${registry}`, remedy: MIRROR_REMEDY };
}

/** Why an offline plan cannot run here, in one line, or `undefined` when it can. */
export function offlinePlanUnavailable(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return offlinePlanBlocker(env)?.reason;
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

/** A step of planning one stack, for progress messages. */
export type PlanStep = "init" | "plan" | "show" | "done";

/**
 * Plans one synthesized stack directory offline and returns `terraform show -json` of it;
 * `onStep` hears each step as it starts.
 */
export async function planStackDir(
  stackDir: string,
  env: NodeJS.ProcessEnv = process.env,
  onStep: (step: PlanStep) => void = () => undefined,
): Promise<PlanJson> {
  const synthesized = JSON.parse(readFileSync(join(stackDir, "cdk.tf.json"), "utf8"));
  writeFileSync(
    join(stackDir, OVERRIDE_FILE),
    JSON.stringify(offlineOverride(awsAliases(synthesized)), null, 2),
  );
  const tfEnv = terraformEnv(stackDir, env);
  onStep("init");
  await runTerraform(["init", "-no-color", "-input=false"], stackDir, tfEnv);
  onStep("plan");
  await runTerraform(
    ["plan", "-no-color", "-input=false", "-lock=false", "-refresh=false", "-out=offline.tfplan"],
    stackDir,
    tfEnv,
  );
  onStep("show");
  const plan = JSON.parse(
    await runTerraform(["show", "-json", "-no-color", "offline.tfplan"], stackDir, tfEnv),
  ) as PlanJson;
  onStep("done");
  return plan;
}

/** Number of managed resources a plan creates. */
export function createdResourceCount(plan: PlanJson): number {
  return (plan.resource_changes ?? []).filter(
    (r) => r.mode === "managed" && r.change.actions.includes("create"),
  ).length;
}

/**
 * Plans every stack under `<outdir>/stacks`, two at a time (Terraform and the provider are
 * mostly waiting on each other; more would only contend for the cores); `onStep` hears each
 * stack's steps.
 */
export async function planAll(
  outdir: string,
  env: NodeJS.ProcessEnv = process.env,
  concurrency = 2,
  onStep: (stack: string, step: PlanStep) => void = () => undefined,
): Promise<StackPlan[]> {
  const stacksDir = join(outdir, "stacks");
  const stacks = readdirSync(stacksDir).sort();
  const results: StackPlan[] = new Array(stacks.length);
  let next = 0;
  const worker = async () => {
    while (next < stacks.length) {
      const i = next++;
      const plan = await planStackDir(join(stacksDir, stacks[i]), env, (step) =>
        onStep(stacks[i], step),
      );
      results[i] = { stack: stacks[i], plan, resourceCount: createdResourceCount(plan) };
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, stacks.length) }, worker));
  return results;
}
