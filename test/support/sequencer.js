// Runs integration test files in name order, so that 99-restart.test.ts, which
// stops and restarts the network, runs after everything else.
const Sequencer = require('@jest/test-sequencer').default;

class ByName extends Sequencer {
  sort(tests) {
    return [...tests].sort((a, b) => a.path.localeCompare(b.path));
  }
}

module.exports = ByName;
