/** Suites that need Terraform and the AWS provider. */
import { offlinePlanBlocker, REQUIRE_PLAN_ENV } from "../../verify/offline-plan";
import { recordSkip } from "./skips";

/**
 * `describe` when Terraform and the pinned AWS provider are within reach; otherwise
 * `describe.skip`, recorded for the run's closing line (skips.ts), unless FANOUT_REQUIRE_PLAN=1
 * (CI), where the suite runs and fails at `assertAvailable()`.
 */
/**
 * How long a suite's Terraform setup may take before jest gives up: a safety net, not a timing
 * goal (those are `npm run bench`'s). Planning five stacks takes about two minutes on an idle
 * two-core machine and several times that beside the end-to-end suite or other load.
 */
export const TERRAFORM_SETUP_TIMEOUT_MS = 15 * 60_000;

export function terraformSuite(label: string): {
  readonly describe: jest.Describe;
  readonly assertAvailable: () => void;
} {
  const blocker = offlinePlanBlocker();
  const required = process.env[REQUIRE_PLAN_ENV] === "1";
  if (blocker && !required) recordSkip({ suite: label, ...blocker });
  return {
    describe: blocker && !required ? describe.skip : describe,
    assertAvailable: () => {
      if (blocker) throw new Error(`${label} required but unavailable: ${blocker.reason}`);
    },
  };
}
