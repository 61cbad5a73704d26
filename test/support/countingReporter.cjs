// Mocha's spec reporter, plus the run's counts written as JSON to $RUNTRAIL_TEST_STATS so
// scripts/test.ts can sum every tier into the final "N passed, N failed" line.
const fs = require('node:fs');
const Mocha = require('mocha');

class CountingReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      const file = process.env.RUNTRAIL_TEST_STATS;
      if (file) {
        const { passes, failures, pending } = this.stats;
        fs.writeFileSync(file, JSON.stringify({ passes, failures, pending }));
      }
    });
  }
}

module.exports = CountingReporter;
