/**
 * `npm run plan`: synthesizes every stack with the project's configuration and plans each one
 * with real Terraform, without AWS credentials, then checks each plan (verify/plan-check.ts: its
 * wiring, and the policy rules a plan must keep). Each stack's steps are printed as they start
 * (a plan takes tens of seconds).
 *
 * Providers come from wherever Terraform can get them (verify/provider-source.ts): the mirror
 * in FANOUT_PROVIDER_MIRROR, a mirror of the CLI config or Terraform's local mirror
 * directories, or the registry. Without one, or when Terraform fails, it ends with one line.
 */
import { rmSync } from "node:fs";
import { projectConfig, synthesize, tempOutdir } from "../inspect/synth";
import { planAll, type PlanStep } from "../verify/offline-plan";
import { describeSource, findProviderSource, MIRROR_REMEDY } from "../verify/provider-source";
import { checkPlan } from "../verify/plan-check";
import { wiringExpectation } from "../verify/wiring";
import { runScript } from "./script-run";

export const USAGE =
  "usage: npm run plan  (plans every stack offline; FANOUT_PROVIDER_MIRROR=<dir> names a provider mirror)";

const STEP_TEXT: Record<PlanStep, string> = {
  init: "terraform init (providers)",
  plan: "terraform plan",
  show: "terraform show -json",
  done: "planned",
};

/** Plans every stack; `argv` are the arguments after `npm run plan --`. Answers the exit code. */
export async function main(
  argv: readonly string[] = [],
  env: NodeJS.ProcessEnv = process.env,
  registry?: () => Promise<boolean>,
): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(USAGE);
    return 0;
  }
  if (argv.length > 0) {
    console.error(`Cannot plan: unknown argument ${argv[0]}; ${USAGE}`);
    return 2;
  }
  const started = Date.now();
  const seconds = (): string => `${((Date.now() - started) / 1000).toFixed(0)}s`;
  const source = await findProviderSource(env, registry);
  if ("problem" in source) {
    console.error(`Cannot plan: ${source.problem}. To plan: ${MIRROR_REMEDY}.`);
    return 1;
  }
  const config = projectConfig(env);
  const outdir = tempOutdir("plan");
  try {
    console.log(`Synthesizing ${config.units.length} stacks...`);
    synthesize(config, outdir);
    console.log(
      `[${seconds()}] Planning ${config.units.length} stacks offline, two at a time (providers from ${describeSource(source)})`,
    );
    const plans = await planAll(outdir, env, 2, (stack, step) => {
      console.log(`[${seconds()}] ${stack.padEnd(12)} ${STEP_TEXT[step]}`);
    });
    let failed = 0;
    for (const { stack, plan, resourceCount } of plans) {
      const unit = config.units.find((u) => u.stack === stack);
      if (!unit) throw new Error(`synth produced unknown stack ${stack}`);
      const problems = checkPlan(stack, plan, wiringExpectation(config, stack));
      const regions = [unit.homeRegion, ...unit.replicaRegions].join(", ");
      console.log(
        `${stack.padEnd(12)} ${String(resourceCount).padStart(4)} resources to create  regions: ${regions}  checks: ${problems.length === 0 ? "ok" : `${problems.length} problem(s)`}`,
      );
      for (const p of problems) console.log(`  ${p.address}: ${p.problem}`);
      failed += problems.length;
    }
    return failed === 0 ? 0 : 1;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

runScript(require.main === module, () => main(process.argv.slice(2)), {
  prefix: "Cannot plan: ",
  exit: true,
});
