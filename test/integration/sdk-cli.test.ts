// The real agentws bin, as a child process, against the real agent server (--url with a key file): every
// command's --json output parses with its schema (sdk/src/cli/output.ts), run streams while the agent works
// and exits with the status's code, attach follows a running conversation and replays a finished one, exec passes
// the exit code through, cp copies both ways, a wrong key and a bad flag fail with their exit codes, and the config file never holds the key.
import { afterAll, describe, expect, it, jest } from '@jest/globals';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EventSchema } from '@agentworkspace/sdk';
import {
  ConversationLineSchema, CpOutputSchema, CreateOutputSchema, DeleteOutputSchema, ErrorOutputSchema, ExecOutputSchema, ListOutputSchema,
} from '@agentworkspace/sdk/cli/output';
import { agentws, agentwsEnv, startAgentws } from '../support/agentws.js';
import { waitFor } from '../support/wait.js';
import { scratchDir, useServerWithModels } from './conversations-harness.js';

// Bounds a hang only; nothing here asserts on durations.
jest.setTimeout(120_000);

const lines = (stdout: string) => stdout.trim().split('\n').map((l) => ConversationLineSchema.parse(JSON.parse(l)));
const json = (stdout: string): unknown => JSON.parse(stdout);

describe('agentws against an agent server', () => {
  const { server, llm } = useServerWithModels();
  const env = agentwsEnv({ LLM_API_KEY: 'sk-cli-test' });
  const dir = scratchDir('cli');
  const keyFile = join(env.HOME!, 'server.key');
  afterAll(() => rmSync(env.HOME!, { recursive: true, force: true }));

  it('create --url checks the server with the key and remembers the key file, never the key', async () => {
    writeFileSync(keyFile, `${server.key}\n`, { mode: 0o600 });
    const r = await agentws(['create', '--url', server.url, '--key-file', keyFile, '--working-dir', dir, '--name', 'dev', '--json'], env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(CreateOutputSchema.parse(json(r.stdout))).toEqual({ name: 'dev', kind: 'url', url: server.url, keyFile });
    const config = readFileSync(join(env.XDG_CONFIG_HOME!, 'agentws', 'workspaces.json'), 'utf8');
    expect(config).not.toContain(server.key!);
    expect(JSON.parse(config)).toEqual({ workspaces: { dev: { kind: 'url', url: server.url, keyFile, workingDir: dir } } });

    const list = await agentws(['list', '--json'], env);
    expect(list.code).toBe(0);
    expect(ListOutputSchema.parse(json(list.stdout)).workspaces).toEqual([{ name: 'dev', kind: 'url', url: server.url, status: 'configured' }]);
  });

  it('a wrong key is refused at create (exit 1, AuthenticationError) and nothing is remembered', async () => {
    const wrong = join(env.HOME!, 'wrong.key');
    writeFileSync(wrong, 'not-the-key', { mode: 0o600 });
    const r = await agentws(['create', '--url', server.url, '--key-file', wrong, '--name', 'bad', '--json'], env);
    expect(r.code).toBe(1);
    expect(ErrorOutputSchema.parse(json(r.stdout)).error.name).toBe('AuthenticationError');
    expect(r.stderr).toMatch(/^agentws: /);
    expect(ListOutputSchema.parse(json((await agentws(['list', '--json'], env)).stdout)).workspaces.map((w) => w.name)).toEqual(['dev']);
  });

  it('exec passes the exit code through; --json carries the output', async () => {
    expect(await agentws(['exec', 'dev', '--', 'bash', '-c', 'echo out; echo err >&2; exit 42'], env)).toEqual({ code: 42, stdout: 'out\n', stderr: 'err\n' });
    const r = await agentws(['exec', 'dev', '--json', '--', 'pwd'], env);
    expect(r.code).toBe(0);
    expect(ExecOutputSchema.parse(json(r.stdout))).toEqual({ exitCode: 0, timedOut: false, stdout: `${dir}\n`, stderr: '' });
  });

  it('cp copies a file to the server and back', async () => {
    const local = join(env.HOME!, 'upload.txt');
    writeFileSync(local, 'to the server\n');
    const up = await agentws(['cp', local, 'dev:in/upload.txt', '--json'], env);
    expect(up.code).toBe(0);
    expect(CpOutputSchema.parse(json(up.stdout))).toEqual({ direction: 'upload', workspace: 'dev', local, remote: 'in/upload.txt', bytes: 14 });
    expect(readFileSync(join(dir, 'in', 'upload.txt'), 'utf8')).toBe('to the server\n');
    const down = await agentws(['cp', 'dev:in/upload.txt', 'back.txt', '--json'], env, env.HOME);
    expect(down.code).toBe(0);
    expect(CpOutputSchema.parse(json(down.stdout))).toMatchObject({ direction: 'download', local: join(env.HOME!, 'back.txt'), bytes: 14 });
    expect(readFileSync(join(env.HOME!, 'back.txt'), 'utf8')).toBe('to the server\n');
  });

  let conversationId = '';

  it('run streams the conversation while the agent works and exits 0 when it finishes', async () => {
    const model = await llm([
      { tool_calls: [{ name: 'terminal', arguments: { command: 'until [ -f go ]; do sleep 0.05; done; echo released', timeout: 100 } }] },
      { tool_calls: [{ name: 'file_editor', arguments: { command: 'create', path: join(dir, 'notes.md'), file_text: 'first\n' } }], expect_tool_result_contains: 'released' },
      { tool_calls: [{ name: 'finish', arguments: { message: 'notes written' } }] },
    ], 'sk-cli-test');
    const run = startAgentws(['run', 'dev', 'write notes', '--model', 'openai/scripted', '--base-url', `${model.url}/v1`], env);
    // The command is on stdout while it still waits: the output is streamed, not printed at the end.
    await waitFor(() => run.stdout().includes('$ until [ -f go ]'), 'the command to be printed while it runs', { failOn: run.exited });
    expect(run.child.exitCode).toBeNull();
    // attach (the newest conversation: this one) replays it so far and follows it to its end.
    const follower = startAgentws(['attach', 'dev'], env);
    await waitFor(() => follower.stdout().includes('$ until [ -f go ]'), 'attach to print the running command', { failOn: follower.exited });
    expect(follower.child.exitCode).toBeNull();
    writeFileSync(join(dir, 'go'), '');
    const r = await run.done;
    expect(r.code).toBe(0);
    const followed = await follower.done;
    expect(followed.code).toBe(0);
    expect(followed.stdout).toContain('agent notes written');
    expect(followed.stdout.trim().split('\n').at(-1)).toBe('── finished (exit 0)');
    expect(r.stdout).toContain('user  write notes');
    expect(r.stdout).toContain('  released');
    expect(r.stdout).toContain(`--- /dev/null\n+++ ${dir}/notes.md\n@@ -1,0 +1,1 @@\n+first`);
    expect(r.stdout).toContain('agent notes written');
    expect(r.stdout).not.toContain('\u001b['); // not a terminal: no colours
    expect(r.stdout.trim().split('\n').at(-1)).toBe('── finished (exit 0)');
    conversationId = /conversation (\S+) in dev/.exec(r.stderr)?.[1] ?? '';
    expect(conversationId).not.toBe('');
    expect(model.player.violations).toEqual([]);
  });

  it('run --json is JSON lines: the conversation, every event, the status; a run that errs exits 3', async () => {
    const model = await llm([{ tool_calls: [{ name: 'finish', arguments: { message: 'nothing to do' } }] }], 'sk-cli-test');
    const r = await agentws(['run', 'dev', 'do nothing', '--model', 'openai/scripted', '--base-url', `${model.url}/v1`, '--json'], env);
    expect(r.code).toBe(0);
    const out = lines(r.stdout);
    expect(out[0]).toMatchObject({ type: 'conversation', workspace: 'dev' });
    expect(out.at(-1)).toMatchObject({ type: 'status', status: 'finished', exitCode: 0 });
    const kinds = out.flatMap((l) => (l.type === 'event' ? [EventSchema.parse(l.event).kind] : []));
    expect(kinds).toEqual(expect.arrayContaining(['SystemPromptEvent', 'MessageEvent', 'ActionEvent', 'ObservationEvent']));

    const broken = await llm([{ error: { status: 400, message: 'the model refuses' } }], 'sk-cli-test');
    const failed = await agentws(['run', 'dev', 'fail', '--model', 'openai/scripted', '--base-url', `${broken.url}/v1`, '--json'], env);
    expect(failed.code).toBe(3);
    expect(lines(failed.stdout).at(-1)).toMatchObject({ type: 'status', status: 'error', exitCode: 3 });
  });

  it('attach replays a conversation by id and exits with its status; without an id, the newest', async () => {
    const r = await agentws(['attach', 'dev', conversationId, '--json'], env);
    expect(r.code).toBe(0);
    const out = lines(r.stdout);
    expect(out[0]).toEqual({ type: 'conversation', workspace: 'dev', conversationId });
    expect(out.at(-1)).toEqual({ type: 'status', conversationId, status: 'finished', exitCode: 0 });
    expect(out.some((l) => l.type === 'event' && l.event.kind === 'ObservationEvent')).toBe(true);
    const newest = await agentws(['attach', 'dev'], env);
    expect(newest.code).toBe(3); // the failed run above is the newest
    expect(newest.stdout.trim().split('\n').at(-1)).toBe('── error (exit 3)');
  });

  it('a bad flag exits 2 with the usage hint; a missing key file is exit 1', async () => {
    const bad = await agentws(['exec', 'dev', '--frobnicate', '--', 'true'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("unknown option '--frobnicate'");
    expect(bad.stderr).toContain('--help');
    const moved = `${keyFile}.moved`;
    writeFileSync(moved, readFileSync(keyFile));
    writeFileSync(keyFile, '');
    try {
      const r = await agentws(['exec', 'dev', '--json', '--', 'true'], env);
      expect(r.code).toBe(1);
      expect(ErrorOutputSchema.parse(json(r.stdout)).error.message).toContain('is empty');
    } finally {
      writeFileSync(keyFile, readFileSync(moved));
    }
  });

  it('delete forgets the workspace; the server and its files stay', async () => {
    const r = await agentws(['delete', 'dev', '--json'], env);
    expect(r.code).toBe(0);
    expect(DeleteOutputSchema.parse(json(r.stdout))).toEqual({ name: 'dev', kind: 'url', deleted: false });
    expect(existsSync(join(dir, 'notes.md'))).toBe(true);
    expect((await agentws(['exec', 'dev', '--', 'true'], env)).code).toBe(1);
  });
});
