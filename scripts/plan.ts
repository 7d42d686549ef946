/**
 * `npm run plan`: synthesizes every stack with the project's configuration and plans each one
 * with real Terraform, without AWS credentials, then checks the wiring of each plan.
 *
 * Providers come from the filesystem mirror in FANOUT_PROVIDER_MIRROR when set, otherwise
 * from the Terraform registry (internet needed).
 */
import { rmSync } from "node:fs";
import { ConfigError } from "../config/config";
import { projectConfig, synthesize, tempOutdir } from "../inspect/synth";
import { MIRROR_ENV, planAll } from "../verify/offline-plan";
import { checkWiring, wiringExpectation } from "../verify/wiring";

async function main(): Promise<number> {
  const config = projectConfig();
  const outdir = tempOutdir("plan");
  try {
    synthesize(config, outdir);
    const source = process.env[MIRROR_ENV] ? `mirror ${process.env[MIRROR_ENV]}` : "registry";
    console.log(`Planning ${config.units.length} stacks offline (providers from ${source})...`);
    const plans = await planAll(outdir);
    let failed = 0;
    for (const { stack, plan, resourceCount } of plans) {
      const unit = config.units.find((u) => u.stack === stack);
      if (!unit) throw new Error(`synth produced unknown stack ${stack}`);
      const problems = checkWiring(plan, wiringExpectation(config, stack));
      const regions = [unit.homeRegion, ...unit.replicaRegions].join(", ");
      console.log(
        `${stack.padEnd(12)} ${String(resourceCount).padStart(4)} resources to create  regions: ${regions}  wiring: ${problems.length === 0 ? "ok" : `${problems.length} problem(s)`}`,
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
