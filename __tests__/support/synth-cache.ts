/**
 * The test run's synthesis cache: jest's global setup makes a fresh directory and names it in
 * FANOUT_TEST_SYNTH_CACHE for every worker (see `synthOutdir` in `synth.ts`); the teardown
 * removes it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Names the directory where the run's syntheses are shared. */
export const SYNTH_CACHE_ENV = "FANOUT_TEST_SYNTH_CACHE";

export function setupSynthCache(): void {
  process.env[SYNTH_CACHE_ENV] = mkdtempSync(join(tmpdir(), "fanout-test-synth-"));
}

export function teardownSynthCache(): void {
  const dir = process.env[SYNTH_CACHE_ENV];
  if (dir) rmSync(dir, { recursive: true, force: true });
}
