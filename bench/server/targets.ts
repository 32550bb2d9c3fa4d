// The servers measured side by side: ours (server-image on the project's Node 24) and, with --compare, the
// official OpenHands agent server (PyPI openhands-agent-server in the parity tier's Python root).
import { execFileSync } from 'node:child_process';
import { startServer, NODE, type TestServer } from '../../test/support/server.js';

export interface Target {
  name: string;
  /** Starts one server; it answers once this resolves (ours: listening, official: /alive). */
  start(): Promise<TestServer>;
  version: string;
}

export function ours(): Target {
  return { name: 'ours', start: () => startServer(), version: `agent-server on Node ${execFileSync(NODE, ['--version'], { encoding: 'utf8' }).trim()}` };
}
