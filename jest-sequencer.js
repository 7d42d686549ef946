// Runs the slowest suite, the local end-to-end one, first, so the others share the second
// worker with it instead of queueing behind it. After it, jest's own order (failed first, then
// by recorded duration).
const Sequencer = require("@jest/test-sequencer").default;

const FIRST = /local[\\/]__tests__[\\/]e2e\.test\.ts$/;

class SlowestFirst extends Sequencer {
  sort(tests) {
    const ordered = super.sort(tests);
    return [
      ...ordered.filter((t) => FIRST.test(t.path)),
      ...ordered.filter((t) => !FIRST.test(t.path)),
    ];
  }
}

module.exports = SlowestFirst;
