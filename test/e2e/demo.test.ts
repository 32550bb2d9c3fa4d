// The README's first command, as a new user runs it: `make demo` on the local cluster, non-interactively
// (DEMO_SKIP_SETUP=1 only because the test runner has just run the same scripts/setup.sh). It must show the
// whole product — the chart installed, a workspace Ready, a conversation streamed (the file edit as a diff,
// the command's output, the commit), the file read back through the SDK, what to try next — and leave nothing
// behind: no release, no namespace, no workspace. The cluster it found running stays running.
import { describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { ROOT, getOrUndefined, setUpCluster } from '../../operator/src/e2e.testkit.js';
import { resourcePath } from '../../operator/src/kube/client.js';
import { helm } from '../support/cluster.js';

const NAMESPACE = 'agentworkspace-demo';
/** A safety net for the demo's own steps (prepare on a warm machine, images, helm, a conversation), not a bound. */
const DEMO_TIMEOUT_MS = 15 * 60_000;

function makeDemo(): Promise<{ code: number | null; output: string }> {
  // The chart test's cluster-mode release reconciles every namespace while it runs, this one's too: the pods both
  // operators want must be the same, or they replace each other's (its workspace-pod settings are the testkit's).
  const values = join(mkdtempSync(join(tmpdir(), 'aw-demo-')), 'values.yaml');
  writeFileSync(values, stringify({ workspacePods: { terminationGracePeriodSeconds: 10 } }));
  return new Promise((resolve, reject) => {
    const child = spawn('make', ['-s', 'demo'], {
      cwd: ROOT,
      env: { ...process.env, DEMO_SKIP_SETUP: '1', DEMO_VALUES: values, LLM_MODEL: '', LLM_API_KEY: '', LLM_BASE_URL: '', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

describe('make demo', () => {
  it('installs the chart, streams a conversation in a workspace on the local cluster, prints what to try next and cleans up', async () => {
    const client = await setUpCluster();
    const { code, output } = await makeDemo();
    if (code !== 0) throw new Error(`make demo exited ${code}, expected 0; the last of what it printed:\n${output.slice(-4000)}`);

    const script = parse(readFileSync(join(ROOT, 'examples/demo/scripted-model.yaml'), 'utf8')) as { turns: Array<{ tool_calls?: Array<{ arguments: { file_text?: string } }> }> };
    const fileText = script.turns[0]!.tool_calls![0]!.arguments.file_text!;
    const inOrder = [
      'Installing the operator\'s chart',
      'STATUS: deployed',
      'agentworkspace-demo/demo: Running',
      // kubectl get aw
      'http://demo.agentworkspace-demo.svc.cluster.local:8000',
      'user  Write fizzbuzz.sh',
      '✎ create /workspace/fizzbuzz.sh',
      '+for i in $(seq 1 15); do',
      '$ bash fizzbuzz.sh | tail -n 5',
      '  FizzBuzz',
      '── finished (exit 0)',
      // agentws cp, then the file itself
      'demo:fizzbuzz.sh →',
      fileText,
      'Try next',
      'npx agentws run demo',
      'Cleaning up',
      'demo: done',
    ];
    let at = 0;
    for (const piece of inOrder) {
      const found = output.indexOf(piece, at);
      expect({ piece, found: found >= 0, after: output.slice(at, at + 400) }).toMatchObject({ piece, found: true });
      at = found + piece.length;
    }
    expect(output).toMatch(/\n {2}[0-9a-f]{7,} FizzBuzz\n/); // git log --oneline of the agent's commit
    expect(output).not.toContain('sk-demo');

    // Nothing left: the namespace (and the workspace in it) and the release are gone.
    expect(await getOrUndefined(client, resourcePath('v1', 'Pod', NAMESPACE, 'demo'))).toBeUndefined();
    expect(await getOrUndefined(client, `/api/v1/namespaces/${NAMESPACE}`)).toBeUndefined();
    const releases = await helm(['list', '-A', '-q', '--filter', '^agentworkspace-demo$']);
    expect(releases).toMatchObject({ code: 0, stdout: '' });
  }, DEMO_TIMEOUT_MS);
});
