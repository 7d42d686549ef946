/**
 * Jest global setup, once per run, in the parent process before any test file loads: the shared
 * synthesis cache (synth-cache.ts), the skip log (see skips.ts), and one quick question to the
 * Terraform registry, whether it answers, for the suites that plan when no local provider
 * mirror is found. All are handed to the test workers through the environment.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REGISTRY_ANSWERS_ENV } from "../../verify/offline-plan";
import { localProviderSource, MIRROR_ENV, registryAnswers } from "../../verify/provider-source";
import { SKIP_LOG_ENV } from "./skips";
import { setupSynthCache } from "./synth-cache";

export default async function globalSetup(): Promise<void> {
  setupSynthCache();
  process.env[SKIP_LOG_ENV] = join(mkdtempSync(join(tmpdir(), "fanout-jest-")), "skips.jsonl");
  const local = localProviderSource();
  if (
    "problem" in local &&
    !process.env[MIRROR_ENV] &&
    process.env[REGISTRY_ANSWERS_ENV] === undefined
  ) {
    process.env[REGISTRY_ANSWERS_ENV] = (await registryAnswers()) ? "answers" : "silent";
  }
}
