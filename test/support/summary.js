// Prints one closing line, "tests: N passed, N failed", over jest's JSON reports.
// A missing or unreadable report counts as a failure. The API fuzzing run, when
// MLL_FUZZ_RESULT says how it went, counts as one more test, and so does the
// lint (ESLint, Prettier, shellcheck) when MLL_LINT_RESULT says how it went.
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
if (process.env.MLL_FUZZ_RESULT === 'passed') passed += 1;
if (process.env.MLL_FUZZ_RESULT === 'failed') failed += 1;
if (process.env.MLL_LINT_RESULT === 'passed') passed += 1;
if (process.env.MLL_LINT_RESULT === 'failed') failed += 1;
console.log(`tests: ${passed} passed, ${failed} failed`);
