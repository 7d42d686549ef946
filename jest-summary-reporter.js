// Ends the run with one plain line, after jest's own summary, for people and for tools that
// read a run's closing line:
//   Tests: N passed, N failed, N skipped
// and, when suites skipped, on the same line which ones, why and exactly what to do. Suites
// record their skips through __tests__/support/skips.ts (the log file the global setup names);
// a test file all of whose tests skipped without a record is named by its path.
const { existsSync, readFileSync, rmSync } = require("node:fs");
const { dirname, relative } = require("node:path");

const SKIP_LOG_ENV = "FANOUT_TEST_SKIP_LOG";

function readSkips() {
  const log = process.env[SKIP_LOG_ENV];
  if (!log || !existsSync(log)) return [];
  const skips = readFileSync(log, "utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l));
  rmSync(dirname(log), { recursive: true, force: true });
  return skips;
}

/** "a, b (reason): remedy; c (reason): remedy", suites grouped by reason and remedy. */
function skippedText(skips, unexplained) {
  const groups = new Map();
  for (const s of skips) {
    const key = JSON.stringify([s.reason, s.remedy]);
    if (!groups.has(key)) groups.set(key, { ...s, suites: [] });
    const group = groups.get(key);
    if (!group.suites.includes(s.suite)) group.suites.push(s.suite);
  }
  const parts = [...groups.values()].map(
    (g) => `${g.suites.join(", ")} (${g.reason}): to run them, ${g.remedy}`,
  );
  if (unexplained.length > 0) {
    parts.push(`${unexplained.join(", ")}: every test skipped, the file's output says why`);
  }
  return parts.join("; ");
}

class SummaryReporter {
  constructor(globalConfig) {
    this.rootDir = globalConfig.rootDir;
  }

  onRunComplete(_contexts, results) {
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const skipped = results.numPendingTests + results.numTodoTests;
    let line = `Tests: ${results.numPassedTests} passed, ${failed} failed, ${skipped} skipped`;
    const skips = readSkips();
    const unexplained = results.testResults
      .filter((r) => r.numPendingTests > 0 && r.numPassingTests + r.numFailingTests === 0)
      .filter((r) => !skips.some((s) => s.testPath === r.testFilePath))
      .map((r) => relative(this.rootDir, r.testFilePath));
    if (skips.length + unexplained.length > 0) {
      line += `. Skipped: ${skippedText(skips, unexplained)}.`;
    }
    process.once("exit", () => console.log(line));
  }
}
module.exports = SummaryReporter;
