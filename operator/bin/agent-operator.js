#!/usr/bin/env node
// `npx agent-operator [--kubeconfig <file>] [--namespaces a,b] …` — see operator/README.md.
// Runs the built operator (operator/dist; `npm run -w operator build`).
import { main } from '../dist/main.js';

main().catch((err) => {
  process.stderr.write(`${err?.stack ?? err}\n`);
  process.exit(1);
});
