// Prints one closing line, "tests: N passed, N failed", over jest's JSON reports.
// A missing or unreadable report counts as a failure.
let passed = 0;
let failed = 0;
for (const file of process.argv.slice(2)) {
  try {
    const report = require(file);
    passed += report.numPassedTests;
    failed += report.numFailedTests + report.numRuntimeErrorTestSuites;
  } catch {
    failed += 1;
  }
}
console.log(`tests: ${passed} passed, ${failed} failed`);
