#!/usr/bin/env node
// The `agent-server` command: runs the built server (dist/main.js). Needs Node 24; from the repository
// `npx agent-server` uses the project's own Node (node_modules/.bin), not the machine's.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  process.stderr.write(`agent-server: Node ${process.versions.node} is too old (need 24); run it through npx or the project's node_modules/.bin/node\n`);
  process.exit(1);
}
let entry;
try {
  entry = await import('../dist/main.js');
} catch (err) {
  if (err?.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/main.js')) {
    process.stderr.write('agent-server: not built yet; run `bash scripts/setup.sh` (or `make setup`) in the repository first\n');
    process.exit(1);
  }
  throw err;
}
await entry.main();
