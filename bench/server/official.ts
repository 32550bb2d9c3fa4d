// The official OpenHands agent server as a benchmark side, started by the parity tier's harness
// (test/parity/official-server.ts on scripts/python-root.sh's cached Debian trixie root). When that root
// cannot be had here, the reason, and the benchmark prints ours alone.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../../test/support/server.js';
import type { Target } from './targets.js';

const SCRIPT = join(ROOT, 'scripts', 'python-root.sh');
const VERSION = process.env.OPENHANDS_VERSION ?? '1.58.2';

/** Sets the root up if needed (needs root and the network the first time); the target, or why not. */
export async function officialOrReason(): Promise<Target | string> {
  try {
    execFileSync('bash', [SCRIPT, 'setup'], { stdio: ['ignore', 'inherit', 'pipe'], encoding: 'utf8' });
  } catch (err) {
    return `scripts/python-root.sh setup failed (${String((err as { stderr?: string }).stderr ?? err).trim().split('\n').slice(-3).join(' ')})`;
  }
  let python: string;
  try {
    python = execFileSync('bash', [SCRIPT, 'run', '/opt/openhands/bin/python', '--version'], { encoding: 'utf8' }).trim();
  } catch (err) {
    return `the Python root does not run here (${String(err).slice(0, 300)})`;
  }
  const { startOfficialServer } = await import('../../test/parity/official-server.js');
  return { name: 'official', start: () => startOfficialServer(), version: `openhands-agent-server ${VERSION} on ${python}` };
}
