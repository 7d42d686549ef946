/**
 * `npm run plan`: synthesizes every stack with the project's configuration and plans each one
 * with real Terraform, without AWS credentials, then checks each plan (verify/plan-check.ts: its
 * wiring, and the policy rules a plan must keep). Each stack's steps are printed as they start
 * (a plan takes tens of seconds).
 *
 * Providers come from wherever Terraform can get them (verify/provider-source.ts): the mirror
 * in FANOUT_PROVIDER_MIRROR, a mirror of the CLI config or Terraform's local mirror
 * directories, or the registry.
 */
import { rmSync } from "node:fs";
import { ConfigError } from "../config/config";
import { projectConfig, synthesize, tempOutdir } from "../inspect/synth";
import { planAll, type PlanStep } from "../verify/offline-plan";
import { describeSource, findProviderSource, MIRROR_REMEDY } from "../verify/provider-source";
import { checkPlan } from "../verify/plan-check";
import { wiringExpectation } from "../verify/wiring";

const STEP_TEXT: Record<PlanStep, string> = {
  init: "terraform init (providers)",
  plan: "terraform plan",
  show: "terraform show -json",
  done: "planned",
};

async function main(): Promise<number> {
  const started = Date.now();
  const seconds = (): string => `${((Date.now() - started) / 1000).toFixed(0)}s`;
  const source = await findProviderSource();
  if ("problem" in source) {
    console.error(`Cannot plan: ${source.problem}. To plan: ${MIRROR_REMEDY}.`);
    return 1;
  }
  const config = projectConfig();
  const outdir = tempOutdir("plan");
  try {
    console.log(`Synthesizing ${config.units.length} stacks...`);
    synthesize(config, outdir);
    console.log(
      `[${seconds()}] Planning ${config.units.length} stacks offline, two at a time (providers from ${describeSource(source)})`,
    );
    const plans = await planAll(outdir, process.env, 2, (stack, step) => {
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

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof ConfigError ? error.message : error);
    process.exit(1);
  },
);
