// Runs the slowest suite first so the others share the second worker with it instead of
// queueing behind it: the local end-to-end suite spends most of its time waiting on Terraform
// and the emulator. After it, jest's own order (failed first, then by recorded duration).
const Sequencer = require("@jest/test-sequencer").default;

const FIRST = /local[\\/]__tests__[\\/]e2e\.test\.ts$/;

class SlowestFirst extends Sequencer {
  sort(tests) {
    const ordered = super.sort(tests);
    return [...ordered.filter((t) => FIRST.test(t.path)), ...ordered.filter((t) => !FIRST.test(t.path))];
  }
}

module.exports = SlowestFirst;
