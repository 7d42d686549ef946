/**
 * The review report's resource counts against real Terraform: for every stack of the default
 * configuration, the report's total equals the resources in the synthesized JSON and the
 * resources the offline `terraform plan` creates. One plan (about 25 s for two stacks).
 *
 * Skips loudly where Terraform or the provider mirror is missing, unless FANOUT_REQUIRE_PLAN=1.
 */
import { rmSync } from "node:fs";
import { runChecks } from "../checks/run";
import { readStacks, StackIndex, StackJson } from "../checks/terraform-json";
import { buildReport, countResources } from "../review/report";
import {
  offlinePlanUnavailable,
  planAll,
  REQUIRE_PLAN_ENV,
  StackPlan,
  tempOutdir,
} from "../verify/offline-plan";
import { synthToDir } from "../verify/synth";
import { defaultConfig } from "./support/synth";

const unavailable = offlinePlanUnavailable();
const required = process.env[REQUIRE_PLAN_ENV] === "1";

if (unavailable && !required) {
  console.warn(
    `\n*** REVIEW REPORT vs TERRAFORM PLAN SKIPPED: ${unavailable}. ` +
      `Set FANOUT_PROVIDER_MIRROR to a hashicorp/aws 5.100.0 mirror to run it. ***\n`,
  );
}

const describeIfPlan = unavailable && !required ? describe.skip : describe;

describeIfPlan("review report resource counts against the offline plan", () => {
  let outdir: string;
  let stacks: StackJson[];
  let plans: StackPlan[];

  beforeAll(async () => {
    if (unavailable) throw new Error(`offline plan required but unavailable: ${unavailable}`);
    outdir = tempOutdir("review-plan");
    synthToDir(defaultConfig(), outdir);
    // Read before planning: the plan writes its override and state files beside cdk.tf.json.
    stacks = readStacks(outdir);
    plans = await planAll(outdir);
  }, 300_000);

  afterAll(() => {
    if (outdir) rmSync(outdir, { recursive: true, force: true });
  });

  it("plans the stacks the report describes", () => {
    expect(plans.map((p) => p.stack)).toEqual(stacks.map((s) => s.name));
  });

  it("counts, per stack, as many resources as the JSON holds and the plan creates", () => {
    const report = buildReport({ stacks, violations: runChecks(stacks) });
    const reported = [...report.matchAll(/^\| \*\*total\*\* \|.*\| \*\*(\d+)\*\* \|$/gm)].map((m) =>
      Number(m[1]),
    );
    for (const [i, stack] of stacks.entries()) {
      const counts = countResources(new StackIndex(stack));
      const inJson = Object.values(stack.json.resource ?? {}).reduce(
        (n, byId) => n + Object.keys(byId).length,
        0,
      );
      expect({ stack: stack.name, reported: reported[i], counted: counts.total, inJson }).toEqual({
        stack: stack.name,
        reported: plans[i].resourceCount,
        counted: plans[i].resourceCount,
        inJson: plans[i].resourceCount,
      });
    }
  });

  it("counts per type what the plan creates per type", () => {
    for (const [i, stack] of stacks.entries()) {
      const counts = countResources(new StackIndex(stack));
      const planned = new Map<string, number>();
      for (const r of plans[i].plan.resource_changes ?? []) {
        if (r.mode === "managed" && r.change.actions.includes("create")) {
          planned.set(r.type, (planned.get(r.type) ?? 0) + 1);
        }
      }
      const reported = new Map(
        [...counts.byType].map(([type, row]) => [type, [...row.values()].reduce((a, b) => a + b)]),
      );
      expect(reported).toEqual(new Map([...planned].sort(([a], [b]) => a.localeCompare(b))));
    }
  });
});
