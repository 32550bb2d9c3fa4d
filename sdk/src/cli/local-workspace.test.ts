// Every command on a local workspace (agent and commands in this process; no server), run in-process with --json:
// each output parses with its schema, and the exit codes are the documented ones.
import { describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventSchema } from '../events/event.js';
import { agentws, freshEnv } from './cli.testkit.js';
import { configFile } from './config.js';
import {
  ConversationLineSchema, CpOutputSchema, CreateOutputSchema, DeleteOutputSchema, ErrorOutputSchema, ExecOutputSchema, ListOutputSchema,
} from './output.js';

const lines = (stdout: string) => stdout.trim().split('\n').map((l) => ConversationLineSchema.parse(JSON.parse(l)));

function scriptFile(dir: string, turns: unknown[]): string {
  const file = join(dir, 'script.json');
  writeFileSync(file, JSON.stringify({ turns }));
  return file;
}

describe('agentws on a local workspace', () => {
  const env = freshEnv();
  const root = mkdtempSync(join(tmpdir(), 'agentws-local-'));
  const dir = join(root, 'project');

  it('create --local remembers the directory (created), and refuses the same name twice', async () => {
    const r = await agentws(['create', '--local', 'project', '--json'], env, root);
    expect(r.code).toBe(0);
    expect(CreateOutputSchema.parse(JSON.parse(r.stdout))).toEqual({ name: 'project', kind: 'local', dir });
    expect(existsSync(dir)).toBe(true);
    expect(JSON.parse(readFileSync(configFile(env), 'utf8'))).toEqual({ workspaces: { project: { kind: 'local', dir } } });
    const again = await agentws(['create', '--local', dir, '--name', 'project'], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already in');
  });

  it('list shows it (no kubeconfig: Kubernetes is not asked)', async () => {
    const r = await agentws(['list', '--json'], env);
    expect(r.code).toBe(0);
    expect(ListOutputSchema.parse(JSON.parse(r.stdout)).workspaces).toEqual([{ name: 'project', kind: 'local', dir, status: 'configured' }]);
    expect((await agentws(['list'], env)).stdout).toMatch(/^NAME\s+KIND\s+WHERE\s+STATUS\nproject\s+local\s+/);
  });

  it('exec passes the exit code through, with arguments as given; --json carries the output', async () => {
    const text = await agentws(['exec', 'project', '--', 'bash', '-c', 'echo "$1"; echo oops >&2; exit 7', '_', 'a  b; $HOME'], env);
    expect(text).toEqual({ code: 7, stdout: 'a  b; $HOME\n', stderr: 'oops\n' });
    const json = await agentws(['exec', 'project', '--json', '--cwd', 'sub', '--', 'pwd'], env);
    expect(json.code).toBe(0);
    expect(ExecOutputSchema.parse(JSON.parse(json.stdout))).toEqual({ exitCode: 0, timedOut: false, stdout: `${dir}/sub\n`, stderr: '' });
  });

  it('exec stopped at --timeout exits 124', async () => {
    const r = await agentws(['exec', 'project', '--json', '--timeout', '0.5', '--', 'sleep', '30'], env);
    expect(r.code).toBe(124);
    expect(ExecOutputSchema.parse(JSON.parse(r.stdout))).toMatchObject({ exitCode: null, timedOut: true });
  });

  it('cp copies a file in and out; a missing file is exit 1', async () => {
    writeFileSync(join(root, 'in.txt'), 'payload\n');
    const up = await agentws(['cp', 'in.txt', 'project:docs/', '--json'], env, root);
    expect(up.code).toBe(0);
    expect(CpOutputSchema.parse(JSON.parse(up.stdout))).toEqual({ direction: 'upload', workspace: 'project', local: join(root, 'in.txt'), remote: 'docs/in.txt', bytes: 8 });
    expect(readFileSync(join(dir, 'docs', 'in.txt'), 'utf8')).toBe('payload\n');
    const down = await agentws(['cp', 'project:docs/in.txt', join(root, 'out') + '/', '--json'], env, root);
    expect(down.code).toBe(0);
    expect(CpOutputSchema.parse(JSON.parse(down.stdout))).toMatchObject({ direction: 'download', local: join(root, 'out', 'in.txt'), bytes: 8 });
    expect(readFileSync(join(root, 'out', 'in.txt'), 'utf8')).toBe('payload\n');
    const missing = await agentws(['cp', 'project:nope.txt', root, '--json'], env);
    expect(missing.code).toBe(1);
    expect(ErrorOutputSchema.parse(JSON.parse(missing.stdout)).error.name).toBe('NotFoundError');
  });

  it('run --json streams the conversation as JSON lines and exits 0 when it finishes', async () => {
    const script = scriptFile(root, [
      { tool_calls: [{ name: 'file_editor', arguments: { command: 'create', path: join(dir, 'hello.txt'), file_text: 'hello\n' } }] },
      { tool_calls: [{ name: 'terminal', arguments: { command: 'cat hello.txt' } }] },
      { tool_calls: [{ name: 'finish', arguments: { message: 'said hello' } }], expect_tool_result_contains: 'hello' },
    ]);
    const r = await agentws(['run', 'project', 'say hello', '--model', 'scripted/cli', '--base-url', script, '--json'], env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = lines(r.stdout);
    expect(out[0]).toMatchObject({ type: 'conversation', workspace: 'project' });
    expect(out.at(-1)).toMatchObject({ type: 'status', status: 'finished', exitCode: 0 });
    const events = out.flatMap((l) => (l.type === 'event' ? [EventSchema.parse(l.event)] : []));
    expect(events.map((e) => e.kind)).toEqual(expect.arrayContaining(['SystemPromptEvent', 'MessageEvent', 'ActionEvent', 'ObservationEvent']));
    expect(events.filter((e) => e.kind === 'ObservationEvent')).toHaveLength(3);
  });

  it('run prints commands, output and diffs for a person; a run that errs exits 3', async () => {
    const ok = scriptFile(root, [
      { tool_calls: [{ name: 'file_editor', arguments: { command: 'str_replace', path: join(dir, 'hello.txt'), old_str: 'hello', new_str: 'bye' } }] },
      { tool_calls: [{ name: 'finish', arguments: { message: 'changed it' } }] },
    ]);
    const text = await agentws(['run', 'project', 'change it', '--model', 'scripted/cli', '--base-url', ok], env);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`✎ str_replace ${dir}/hello.txt\n--- ${dir}/hello.txt\n+++ ${dir}/hello.txt\n@@ -1,1 +1,1 @@\n-hello\n+bye`);
    expect(text.stdout).toContain('agent changed it');
    expect(text.stdout.trim().split('\n').at(-1)).toBe('── finished (exit 0)');

    const failing = scriptFile(root, [{ error: { status: 400, message: 'the model refuses' } }]);
    const err = await agentws(['run', 'project', 'fail', '--model', 'scripted/cli', '--base-url', failing, '--json'], env);
    expect(err.code).toBe(3);
    expect(lines(err.stdout).at(-1)).toMatchObject({ type: 'status', status: 'error', exitCode: 3 });
  });

  it('run without a model is a usage error; attach is for agent servers', async () => {
    const noModel = await agentws(['run', 'project', 'x'], env);
    expect(noModel.code).toBe(2);
    expect(noModel.stderr).toContain('--model or LLM_MODEL');
    const attach = await agentws(['attach', 'project', '--json'], env);
    expect(attach.code).toBe(1);
    expect(ErrorOutputSchema.parse(JSON.parse(attach.stdout)).error.message).toContain('local workspace');
  });

  it('delete forgets it and leaves the directory', async () => {
    const r = await agentws(['delete', 'project', '--json'], env);
    expect(r.code).toBe(0);
    expect(DeleteOutputSchema.parse(JSON.parse(r.stdout))).toEqual({ name: 'project', kind: 'local', deleted: false });
    expect(existsSync(join(dir, 'hello.txt'))).toBe(true);
    expect(ListOutputSchema.parse(JSON.parse((await agentws(['list', '--json'], env)).stdout)).workspaces).toEqual([]);
    expect((await agentws(['delete', 'project'], env)).code).toBe(1);
  });
});
