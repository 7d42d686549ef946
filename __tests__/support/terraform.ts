/** Suites that need Terraform and the provider mirror. */
import { offlinePlanUnavailable, REQUIRE_PLAN_ENV } from "../../verify/offline-plan";

/**
 * `describe` when Terraform and FANOUT_PROVIDER_MIRROR are here; otherwise `describe.skip` with
 * a loud warning, unless FANOUT_REQUIRE_PLAN=1 (CI), where the suite runs and fails at
 * `assertAvailable()`.
 */
export function terraformSuite(label: string): {
  readonly describe: jest.Describe;
  readonly assertAvailable: () => void;
} {
  const unavailable = offlinePlanUnavailable();
  const required = process.env[REQUIRE_PLAN_ENV] === "1";
  if (unavailable && !required) {
    console.warn(
      `\n*** ${label} SKIPPED: ${unavailable}. ` +
        `Set FANOUT_PROVIDER_MIRROR to a hashicorp/aws 5.100.0 mirror to run it. ***\n`,
    );
  }
  return {
    describe: unavailable && !required ? describe.skip : describe,
    assertAvailable: () => {
      if (unavailable) throw new Error(`${label} required but unavailable: ${unavailable}`);
    },
  };
}
