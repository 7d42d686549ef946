/** One emulator per test file, for suites that talk to it through the AWS SDK. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { recordSkip } from "../../../__tests__/support/skips";
import {
  emulatorUnavailable,
  MOTO_INSTALL_HINT,
  startEmulator,
  stopEmulator,
  type EmulatorInfo,
} from "../../emulator";

/** Environment variable that turns "the emulator cannot run" from a skip into a failure (CI). */
export const REQUIRE_LOCAL_ENV = "FANOUT_REQUIRE_LOCAL";

/**
 * `describe` when the emulator can run here; otherwise `describe.skip`, recorded with one line
 * saying why for the run's closing line (`recordSkip`), unless FANOUT_REQUIRE_LOCAL=1, where
 * loading the test file fails with that reason.
 */
export function emulatorSuite(label: string): jest.Describe {
  const unavailable = emulatorUnavailable();
  if (unavailable === undefined) return describe;
  if (process.env[REQUIRE_LOCAL_ENV] === "1") {
    throw new Error(`${REQUIRE_LOCAL_ENV}=1 but ${label} cannot run: ${unavailable}`);
  }
  recordSkip({ suite: label, reason: unavailable, remedy: MOTO_INSTALL_HINT });
  return describe.skip;
}

/**
 * Environment variable naming fills to leave out of the test emulator (comma-separated), to
 * watch the tests of those fills fail: `FANOUT_EMULATOR_SKIP_FILLS=sqs_keep_policy npx jest ...`.
 */
export const SKIP_FILLS_ENV = "FANOUT_EMULATOR_SKIP_FILLS";

/** A started emulator and its state directory. */
export interface TestEmulator {
  readonly info: EmulatorInfo;
  readonly stateDir: string;
}

/**
 * Starts one emulator in a temporary state directory before the file's tests and stops it
 * after them; call inside the suite's `describe`. The answer is read once `beforeAll` ran.
 */
export function useEmulator(label = "emulator"): () => TestEmulator {
  let started: TestEmulator | undefined;
  let stateDir: string | undefined;
  beforeAll(async () => {
    stateDir = mkdtempSync(join(tmpdir(), `fanout-${label}-`));
    const skipFills = (process.env[SKIP_FILLS_ENV] ?? "").split(",").filter((name) => name !== "");
    started = { info: await startEmulator({ stateDir, skipFills }), stateDir };
  }, 60_000);
  afterAll(async () => {
    if (stateDir === undefined) return;
    await stopEmulator(stateDir);
    rmSync(stateDir, { recursive: true, force: true });
  }, 30_000);
  return () => {
    if (started === undefined) throw new Error("the emulator did not start (see beforeAll)");
    return started;
  };
}

/** SDK client settings for the emulator: its URL, a region, dummy credentials. */
export function emulatorClientConfig(info: EmulatorInfo, region = "us-east-1") {
  return {
    endpoint: info.url,
    region,
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
    maxAttempts: 1,
  };
}

/**
 * Polls `probe` every 100 ms until it answers something other than `undefined`, and answers
 * that; throws naming `what` after `ms`.
 */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  ms = 20_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
