// Secrets out of the agent's reach (issue 18), on the real local cluster with the real operator and image: a
// workspace whose server holds a session key, a server-side LLM key (spec.llm), OH_SECRET_KEY and a second
// conversation's secret. As the agent — from its terminal tool in a scripted conversation, and with a bash
// command through the REST API — the credential search (test/support/credential-search.mjs) reads every
// /proc/*/environ, every readable /proc/*/mem mapping and every readable file: it finds its planted canary and
// none of the credentials. Symlinks into /proc are refused by git diff, file download and the file editor, while
// the server still edits and diffs what the agent (another uid) wrote.
import { describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { contentText, startConversation, startScriptedOpenAIServer, type AgentSpecInput, type Event } from '@agentworkspace/sdk';
import { KubernetesWorkspace } from '@agentworkspace/sdk/kubernetes';
import type { V1Pod } from '@kubernetes/client-node';
import { useOperatorInNamespace } from '../../operator/src/e2e.testkit.js';
import { podmanName } from '../cluster/agent/container-args.js';
import { ensureCluster, MODEL_BIND, MODEL_HOST, podman } from '../support/cluster.js';

const cluster = useOperatorInNamespace('aw-secrets');

const SEARCH_SOURCE = readFileSync(new URL('../support/credential-search.mjs', import.meta.url), 'utf8');
const PROJECT = '/workspace/project';

interface SearchReport {
  uid: number;
  processes: Array<{ pid: number; cmdline: string }>;
  environs: number;
  memPids: number[];
  memBytes: number;
  files: number;
  fileBytes: number;
  found: Array<{ name: string; in: 'environ' | 'mem' | 'file'; pid?: number; path?: string }>;
}

/** The search's argument: the needles reversed, as hex JSON, so no command line holds one. */
function encodedNeedles(needles: Record<string, string>): string {
  const reversed = Object.fromEntries(Object.entries(needles).map(([name, value]) => [name, [...value].reverse().join('')]));
  return Buffer.from(JSON.stringify(reversed)).toString('hex');
}

/** The shell command that runs the search for `needles` (one of them the canary). */
function searchCommand(needles: Record<string, string>): string {
  const script = Buffer.from(SEARCH_SOURCE).toString('base64');
  return `node --input-type=module -e "$(echo ${script} | base64 -d)" ${encodedNeedles(needles)}`;
}

function parseReport(output: string): SearchReport {
  const line = output.split('\n').find((l) => l.startsWith('CREDENTIAL-SEARCH '));
  if (!line) throw new Error(`no search report in: ${output.slice(0, 2000)}`);
  return JSON.parse(line.slice('CREDENTIAL-SEARCH '.length)) as SearchReport;
}

/** The search saw what it should (its canary, the sandbox's processes and files) and no credential. */
function expectNothingFound(report: SearchReport): void {
  process.stdout.write(`credential search as uid ${report.uid}: ${report.processes.length} processes, ${report.environs} environs, ` +
    `${report.memPids.length} memories (${Math.round(report.memBytes / 2 ** 20)} MiB), ${report.files} files (${Math.round(report.fileBytes / 2 ** 20)} MiB)\n`);
  const canary = report.found.filter((f) => f.name === 'canary').map((f) => f.in);
  expect(new Set(canary)).toEqual(new Set(['environ', 'mem', 'file']));
  expect(report.uid).toBe(10002);
  expect(report.environs).toBeGreaterThanOrEqual(2);
  expect(report.memPids.length).toBeGreaterThanOrEqual(2); // the runner's and the shell's memory among them
  expect(report.files).toBeGreaterThan(1000);
  // Separate pid namespaces: the server's process is not even listed.
  expect(report.processes.filter((p) => p.cmdline.includes('server-image/dist/main.js'))).toEqual([]);
  expect(report.found.filter((f) => f.name !== 'canary')).toEqual([]);
}

const random = (prefix: string) => `${prefix}-${randomBytes(18).toString('hex')}`;

describe('secrets out of the agent\'s reach', () => {
  it('the agent\'s terminal and REST bash find no credential; symlinks into /proc are refused', async () => {
    const { kubeconfigPath } = await ensureCluster();
    const serverLlmKey = random('sk-server');
    const secretKey = random('oh-secret-key');
    const otherSecret = random('other-conversation-secret');
    const clientLlmKey = random('sk-client');
    await cluster.client.request('POST', `/api/v1/namespaces/${cluster.namespace}/secrets`, {
      body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'server-llm' }, stringData: { apiKey: serverLlmKey, model: 'openai/scripted' } },
    });
    const workspace = await KubernetesWorkspace.create({
      namespace: cluster.namespace, kubeconfig: kubeconfigPath, llm: { secretName: 'server-llm' }, env: { OH_SECRET_KEY: secretKey },
    });
    try {
      const needles = {
        canary: random('canary'), sessionKey: workspace.sessionApiKey!, serverLlmKey, secretKey, otherSecret, clientLlmKey,
      };
      const search = searchCommand(needles);
      const model = await startScriptedOpenAIServer({
        script: {
          turns: [
            {
              tool_calls: [{ name: 'terminal', arguments: { command: `mkdir -p ${PROJECT} && cd ${PROJECT} && git init -q && echo one > notes.txt && git add notes.txt && git -c user.email=a@b -c user.name=a commit -qm init && echo two >> notes.txt && ln -s /proc/1/environ leak && ln -s /proc/self leak-dir && echo prepared` } }],
            },
            { tool_calls: [{ name: 'terminal', arguments: { command: search, timeout: 1200 } }], expect_tool_result_contains: 'prepared' },
            { tool_calls: [{ name: 'file_editor', arguments: { command: 'view', path: `${PROJECT}/leak` } }], expect_tool_result_contains: 'CREDENTIAL-SEARCH' },
            { tool_calls: [{ name: 'file_editor', arguments: { command: 'view', path: '/proc/self/environ' } }] },
            { tool_calls: [{ name: 'file_editor', arguments: { command: 'str_replace', path: `${PROJECT}/notes.txt`, old_str: 'two', new_str: 'three' } }] },
            { tool_calls: [{ name: 'finish', arguments: { message: 'searched' } }] },
          ],
        },
        apiKey: clientLlmKey,
        host: MODEL_BIND,
      });
      try {
        const agent = {
          llm: { model: 'openai/scripted', base_url: `http://${MODEL_HOST}:${new URL(model.url).port}/v1`, api_key: clientLlmKey, num_retries: 0 },
          tools: [{ name: 'terminal' }, { name: 'file_editor' }],
        } as AgentSpecInput;
        // Another conversation with a secret of its own; it never runs, so no process has the secret.
        const other = await startConversation({ agent, workspace, secrets: { OTHER_TOKEN: otherSecret } });
        await other.close();

        const conversation = await startConversation({ agent, workspace });
        await conversation.sendMessage('Search for credentials.');
        expect(await conversation.run()).toBe('finished');
        expect(model.player.violations).toEqual([]);
        const observations = conversation.events()
          .filter((e: Event) => e.kind === 'ObservationEvent')
          .map((e) => (e as { observation: { is_error?: boolean; content: Parameters<typeof contentText>[0] } }).observation)
          .map((o) => ({ isError: o.is_error === true, text: contentText(o.content) }));
        await conversation.close();

        // 1. The terminal tool's search.
        expectNothingFound(parseReport(observations[1]!.text));
        // 2. The file editor, which runs in the server, refuses the symlink and /proc itself; it edits the agent's file.
        expect(observations[2]).toMatchObject({ isError: true, text: expect.stringMatching(/leak resolves to \/proc\/\d+\/environ, inside \/proc/) });
        expect(observations[3]).toMatchObject({ isError: true, text: expect.stringMatching(/\/proc\/self\/environ resolves to \/proc\/\d+\/environ, inside \/proc/) });
        expect(observations[4]).toMatchObject({ isError: false });

        // 3. The same search as a bash command through the REST API.
        const rest = await workspace.execute(search, { timeoutMs: 1_200_000 });
        expect(rest.exitCode).toBe(0);
        expectNothingFound(parseReport(rest.stdout));

        // 4. git diff and file download follow no symlink into the server's /proc; they still serve the agent's files.
        const get = async (path: string) => {
          const res = await fetch(`${workspace.url}${path}`, { headers: { 'X-Session-API-Key': workspace.sessionApiKey! } });
          return { status: res.status, body: await res.text() };
        };
        const q = (p: string) => encodeURIComponent(p);
        for (const route of ['/api/git/diff?path=', '/api/file/download?path=']) {
          const viaLink = await get(`${route}${q(`${PROJECT}/leak`)}`);
          expect(viaLink.status).toBe(403);
          expect(viaLink.body).toMatch(/leak resolves to \/proc\/\d+\/environ, inside \/proc/);
          const viaDir = await get(`${route}${q(`${PROJECT}/leak-dir/environ`)}`);
          expect(viaDir.status).toBe(403);
          expect((await get(`${route}${q('/proc/1/environ')}`)).status).toBe(403);
          for (const key of Object.values(needles)) expect(viaLink.body + viaDir.body).not.toContain(key);
        }
        const diff = await get(`/api/git/diff?path=${q(`${PROJECT}/notes.txt`)}`);
        expect(diff.status).toBe(200);
        expect(JSON.parse(diff.body)).toEqual({ original: 'one', modified: 'one\nthree' });
        expect(await get(`/api/file/download?path=${q(`${PROJECT}/notes.txt`)}`)).toEqual({ status: 200, body: 'one\nthree\n' });

        // 5. The control: the same search in the server's own container (its uid) finds the credentials there, so
        // the search would have found them from the sandbox had they been within its reach.
        const pod = await cluster.client.request<V1Pod>('GET', `/api/v1/namespaces/${cluster.namespace}/pods/${workspace.name}`);
        const control = await podman(['exec', podmanName(pod, 'agent-server'), 'node', '--input-type=module', '-e', SEARCH_SOURCE, encodedNeedles(needles)]);
        expect(control.code).toBe(0);
        const inServer = parseReport(control.stdout);
        expect(inServer.uid).toBe(10001);
        const where = (name: string) => new Set(inServer.found.filter((f) => f.name === name).map((f) => f.in));
        for (const name of ['sessionKey', 'serverLlmKey', 'secretKey']) expect(where(name)).toContain('environ');
        for (const name of ['otherSecret', 'clientLlmKey']) expect(where(name)).toContain('mem');
      } finally {
        await model.close();
      }
    } finally {
      await workspace.close();
    }
  });
});
