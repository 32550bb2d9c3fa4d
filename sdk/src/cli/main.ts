#!/usr/bin/env node
// The agentws bin (sdk/package.json "bin"): runs one command line and exits with its code. process.exit, not
// exitCode: a connection the SDK keeps (a socket's reconnect timer) must not hold the shell. Writes to pipes and
// files are synchronous on POSIX, so nothing printed is lost.
import { processIo } from './io.js';
import { runCli } from './program.js';

process.exit(await runCli(process.argv.slice(2), processIo()));
