/**
 * The offline `terraform plan` of the stacks with the idempotency store (active-standby mode),
 * with real Terraform and the real hashicorp/aws provider: the provider accepts the global
 * table with its replica blocks and the consumers' grants to each copy, and the plan check
 * (wiring and the policy rules) accepts the table in the home region. Skips as the other plan
 * suite does.
 */
import { cpSync, rmSync } from "node:fs";
import { PlanJson } from "../../inspect/plan";
import { tempOutdir } from "../../inspect/synth";
import { planAll, StackPlan } from "../../verify/offline-plan";
import { checkPlan } from "../../verify/plan-check";
import { wiringExpectation } from "../../verify/wiring";
import { defaultConfig, synthOutdir } from "../support/synth";
import { TERRAFORM_SETUP_TIMEOUT_MS, terraformSuite } from "../support/terraform";

const terraform = terraformSuite("OFFLINE TERRAFORM PLAN (idempotency store)");
const config = defaultConfig({
  FANOUT_CONSUMER_MODE: "active-standby",
  FANOUT_IDEMPOTENCY_STORE: "true",
});

type Change = NonNullable<PlanJson["resource_changes"]>[number];

terraform.describe("offline terraform plan with the idempotency store", () => {
  let outdir: string;
  let plans: StackPlan[];

  beforeAll(async () => {
    terraform.assertAvailable();
    outdir = tempOutdir("idempotency-store");
    cpSync(synthOutdir(config), outdir, { recursive: true });
    plans = await planAll(outdir);
  }, TERRAFORM_SETUP_TIMEOUT_MS);

  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it("plans every stack, wired as designed", () => {
    expect(plans.map((p) => p.stack)).toEqual(["primary", "secondary"]);
    for (const { stack, plan } of plans) {
      expect(checkPlan(stack, plan, wiringExpectation(config, stack))).toEqual([]);
    }
  });

  it("creates each unit's table in its home region with a replica in the other", () => {
    for (const { stack, plan } of plans) {
      const unit = config.units.find((u) => u.stack === stack)!;
      const tables = (plan.resource_changes ?? []).filter(
        (r: Change) => r.type === "aws_dynamodb_table",
      );
      expect(tables).toHaveLength(1);
      expect(tables[0].change.actions).toEqual(["create"]);
      expect(tables[0].change.after).toMatchObject({
        name: `fanout-${stack}-idempotency`,
        billing_mode: "PAY_PER_REQUEST",
        stream_enabled: true,
        stream_view_type: "NEW_AND_OLD_IMAGES",
        ttl: [{ attribute_name: "expiration", enabled: true }],
        server_side_encryption: [{ enabled: true }],
        point_in_time_recovery: [expect.objectContaining({ enabled: true })],
        replica: unit.replicaRegions.map((region) =>
          expect.objectContaining({ region_name: region, point_in_time_recovery: true }),
        ),
      });
    }
  });
});
