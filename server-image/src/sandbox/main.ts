// The sandbox container's entry point (`node dist/sandbox/main.js`): the runner on OH_SANDBOX_SOCKET, until SIGTERM.
// Its own environment is the container's (no credential is given to it); the processes it starts get only what
// each request carries. umask 002: what the agent creates in the shared workspace stays writable by the server's
// user, which shares the group.
import { isAbsolute } from 'node:path';
import { createLogger } from '../log.js';
import { SandboxRunner } from './runner.js';
import { isEntryModule } from '../entry-module.js';

export async function main(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const socketPath = env.OH_SANDBOX_SOCKET;
  if (!socketPath || !isAbsolute(socketPath)) {
    process.stderr.write('sandbox-runner: OH_SANDBOX_SOCKET must be the absolute path of the socket to listen on\n');
    process.exit(2);
  }
  const log = createLogger(env.LOG_LEVEL ?? 'info').child({ component: 'sandbox-runner' });
  process.umask(0o002);
  const runner = new SandboxRunner(log);
  try {
    await runner.listen(socketPath);
  } catch (err) {
    log.fatal({ err, socketPath }, 'sandbox runner cannot listen');
    process.exit(1);
  }
  log.info({ socketPath, uid: process.getuid?.() }, 'sandbox runner listening');
  const stop = (signal: NodeJS.Signals) => {
    log.info({ signal }, 'sandbox runner stopping');
    runner.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

if (isEntryModule(import.meta.url)) void main();
