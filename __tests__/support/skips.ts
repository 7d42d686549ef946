/**
 * The one way a suite says it skipped: `recordSkip` writes the suite, the reason and the
 * remedy to the run's skip log, and `jest-summary-reporter.js` ends the run with one line
 * that lists them. The log is a file named by SKIP_LOG_ENV, which the global setup creates
 * (test files run in worker processes; the reporter runs in the parent).
 */
import { appendFileSync } from "node:fs";

/** Names the run's skip log (JSON lines); set by `global-setup.ts`. */
export const SKIP_LOG_ENV = "FANOUT_TEST_SKIP_LOG";

export interface SkipRecord {
  /** The suite, as its describe block names it. */
  readonly suite: string;
  /** Why it cannot run here. */
  readonly reason: string;
  /** Exactly what to do so that it runs. */
  readonly remedy: string;
}

/** Records a skipped suite for the run's closing line, and says so at once on stderr. */
export function recordSkip(skip: SkipRecord, env: NodeJS.ProcessEnv = process.env): void {
  console.warn(`\n*** ${skip.suite} SKIPPED: ${skip.reason}. To run it: ${skip.remedy}. ***\n`);
  const log = env[SKIP_LOG_ENV];
  // The test file's path lets the reporter tell recorded skips from unexplained ones.
  const { testPath } = expect.getState();
  if (log) appendFileSync(log, `${JSON.stringify({ ...skip, testPath })}\n`);
}
