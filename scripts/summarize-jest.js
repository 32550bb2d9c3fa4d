// Prints the closing line CI reads for one test tier, from Jest's --json output:
//   "<tier>: N passed, N failed, N skipped"
// A suite that failed to run (syntax error, failing beforeAll) counts as one failure, and each
// failed test is listed with its message so the log shows what was expected and what was seen.
import { readFileSync, existsSync } from 'node:fs';

const [file, tier] = process.argv.slice(2);
if (!existsSync(file)) {
  console.log(`${tier}: 0 passed, 1 failed (jest wrote no results to ${file})`);
  process.exit(1);
}
const r = JSON.parse(readFileSync(file, 'utf8'));
let failed = r.numFailedTests;
for (const suite of r.testResults) {
  const broken = suite.status === 'failed' && suite.assertionResults.every((a) => a.status !== 'failed');
  if (broken) {
    failed += 1;
    console.log(`FAILED SUITE ${suite.name}\n${(suite.message || '').slice(0, 4000)}`);
  }
  for (const a of suite.assertionResults.filter((x) => x.status === 'failed')) {
    console.log(`FAILED ${a.fullName}\n${a.failureMessages.join('\n').slice(0, 4000)}`);
  }
}
const skipped = r.numPendingTests + r.numTodoTests;
console.log(`${tier}: ${r.numPassedTests} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 ? 1 : 0);
