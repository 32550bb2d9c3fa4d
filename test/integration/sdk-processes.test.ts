// Tests that run the SDK in separate Node processes (the project's Node, process.execPath) from the built package
// (sdk/dist, made by `tsc -b`, which scripts/test.sh runs first): a conversation SIGKILLed mid-run and reopened from
// disk, and the scripted OpenAI-compatible server as a CLI process.
import { afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { EventSchema, LocalConversation, ScriptedLLM, type Event } from '@agentworkspace/sdk';
import { waitFor } from '../support/wait.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DIST = join(ROOT, 'sdk', 'dist');
let root: string;
const children: ChildProcess[] = [];

beforeAll(() => {
  if (!existsSync(join(DIST, 'index.js')) || !existsSync(join(DIST, 'testing', 'scripted-llm-server.js'))) {
    throw new Error('sdk/dist is missing: build first (tsc -b tsconfig.build.json, or scripts/setup.sh)');
  }
});
beforeEach(() => { root = mkdtempSync(join(tmpdir(), 'sdk-proc-')); });
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));
}

describe('a conversation SIGKILLed mid-run', () => {
  it('reopens from disk with every persisted event, marks the cut-off tool call, and continues on a new message', async () => {
    const ws = join(root, 'ws');
    const store = join(root, 'store');
    const id = randomUUID();
    const script = join(root, 'child.mjs');
    writeFileSync(script, `
      import { LocalConversation, ScriptedLLM } from ${JSON.stringify(join(DIST, 'index.js'))};
      const [ws, store, id] = process.argv.slice(2);
      const conv = await LocalConversation.create({
        agent: { llm: { model: 'scripted/crash' }, tools: [{ name: 'terminal' }, { name: 'file_editor' }] },
        workspace: ws, persistence_dir: store, conversation_id: id,
        llmFactory: (cfg) => new ScriptedLLM(cfg, { turns: [
          { tool_calls: [{ name: 'file_editor', arguments: { command: 'create', path: ws + '/before.txt', file_text: 'made before the crash' } }] },
          { tool_calls: [{ name: 'terminal', arguments: { command: 'echo $$ > shell.pid; sleep 600', timeout: 900 } }] },
        ] }),
      });
      await conv.sendMessage('start the long job');
      await conv.run();
    `);
    const child = spawn(process.execPath, [script, ws, store, id], { stdio: ['ignore', 'inherit', 'inherit'] });
    children.push(child);
    const dir = join(store, id.replaceAll('-', ''));
    const shellPid = Number(await waitFor(() => existsSync(join(ws, 'shell.pid')) && readFileSync(join(ws, 'shell.pid'), 'utf8').trim(), 'the child\'s shell to start the long command'));
    child.kill('SIGKILL');
    expect((await exited(child)).signal).toBe('SIGKILL');
    try { process.kill(-shellPid, 'SIGKILL'); } catch { /* the shell group may be gone already */ }

    const files = readdirSync(join(dir, 'events')).filter((f) => f.endsWith('.json')).sort();
    const onDisk = files.map((f) => EventSchema.parse(JSON.parse(readFileSync(join(dir, 'events', f), 'utf8'))));
    expect(onDisk.map((e) => e.kind)).toContain('ActionEvent');
    expect(JSON.parse(readFileSync(join(dir, 'base_state.json'), 'utf8')).execution_status).toBe('running');

    let llm: ScriptedLLM | undefined;
    const conv = await LocalConversation.open({
      persistence_dir: store, conversation_id: id,
      llmFactory: (cfg) => (llm = new ScriptedLLM(cfg, { turns: [
        { tool_calls: [{ name: 'terminal', arguments: { command: 'cat before.txt' } }], expect_tool_result_contains: '' },
        { tool_calls: [{ name: 'finish', arguments: { message: 'recovered' } }], expect_tool_result_contains: 'made before the crash' },
      ] })),
    });
    try {
      expect(conv.events().slice(0, onDisk.length)).toEqual(onDisk);
      expect(conv.status).toBe('error');
      const added = conv.events().slice(onDisk.length) as Event[];
      const cut = added.find((e) => e.kind === 'AgentErrorEvent');
      const terminalCall = onDisk.findLast((e) => e.kind === 'ActionEvent');
      expect(cut?.kind === 'AgentErrorEvent' && cut.error).toContain('A restart occurred while this tool was in progress');
      expect(cut?.kind === 'AgentErrorEvent' && cut.tool_call_id).toBe(terminalCall?.kind === 'ActionEvent' ? terminalCall.tool_call_id : 'none');

      await conv.sendMessage('The job was cut off; check what survived and finish.');
      expect(await conv.run()).toBe('finished');
      expect(llm!.player.violations).toEqual([]);
      // The model saw the restart notice as the cut-off call's result.
      expect(llm!.player.requests[0]!.some((m) => m.role === 'tool' && m.content.some((c) => c.type === 'text' && c.text.includes('A restart occurred')))).toBe(true);
    } finally {
      await conv.close();
    }
  });
});

describe('the scripted OpenAI-compatible server as a CLI process', () => {
  async function startCli(args: string[]): Promise<{ child: ChildProcess; url: string; stderr: () => string }> {
    const child = spawn(process.execPath, [join(DIST, 'testing', 'scripted-llm-server.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let err = '';
    child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout! }).once('line', resolve);
      child.once('exit', (code) => reject(new Error(`scripted-llm-server exited ${code}: ${err}`)));
    });
    return { child, url: (JSON.parse(line) as { url: string }).url, stderr: () => err };
  }

  it('serves a YAML script to a conversation and exits 0 on SIGTERM', async () => {
    const file = join(root, 'turns.yaml');
    writeFileSync(file, [
      'turns:',
      '  - tool_calls:',
      '      - name: terminal',
      '        arguments: {command: "echo from-cli > cli.txt && cat cli.txt"}',
      '  - text: all done',
      '    expect_tool_result_contains: from-cli',
    ].join('\n'));
    const { child, url } = await startCli(['--script', file, '--port', '0']);
    const ws = join(root, 'ws');
    const conv = await LocalConversation.create({ agent: { llm: { model: 'openai/scripted', base_url: `${url}/v1`, stream: true }, tools: [{ name: 'terminal' }] }, workspace: ws });
    await conv.sendMessage('go');
    expect(await conv.run()).toBe('finished');
    await conv.close();
    expect(readFileSync(join(ws, 'cli.txt'), 'utf8')).toBe('from-cli\n');
    child.kill('SIGTERM');
    expect((await exited(child)).code).toBe(0);
  });

  it('reports script violations on stderr and exits 1', async () => {
    const file = join(root, 'turns.json');
    writeFileSync(file, JSON.stringify({ turns: [{ text: 'x', expect_tool_result_contains: 'never-there' }] }));
    const { child, url, stderr } = await startCli(['--script', file]);
    const res = await fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }) });
    expect(res.status).toBe(400);
    child.kill('SIGTERM');
    expect((await exited(child)).code).toBe(1);
    expect(stderr()).toContain('script violation: request 1: no tool result contains "never-there"');
  });

  it('refuses bad arguments and invalid scripts with a message naming them', async () => {
    const bad = join(root, 'bad.json');
    writeFileSync(bad, JSON.stringify({ turns: [{ tool_calls: [{ arguments: {} }] }] }));
    for (const [args, msg] of [[[], '--script'], [['--script', bad], 'turns[0].tool_calls[0].name'], [['--script', bad, '--port', '99999'], '--port']] as const) {
      const child = spawn(process.execPath, [join(DIST, 'testing', 'scripted-llm-server.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(child);
      let err = '';
      child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
      expect((await exited(child)).code).toBe(2);
      expect(err).toContain(msg);
    }
  });
});
