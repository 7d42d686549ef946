// Prints one plain closing line, "Tests: N passed, N failed, N skipped", as the last line of
// the run (after jest's own summary), for tools that read a run's closing line.
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const skipped = results.numPendingTests + results.numTodoTests;
    const line = `Tests: ${results.numPassedTests} passed, ${failed} failed, ${skipped} skipped`;
    process.once("exit", () => console.log(line));
  }
}
module.exports = SummaryReporter;
