// The real adapter paths: LocalConversation → OpenAI / Anthropic vendor SDKs → scripted HTTP servers on 127.0.0.1,
// which check every request they receive (a turn after a tool call must carry its result).
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import {
  LocalConversation, startScriptedAnthropicServer, startScriptedOpenAIServer, type Event, type ScriptedServer, type ScriptInput,
} from '@agentworkspace/sdk';
import { waitFor } from '../support/wait.js';

let root: string;
let ws: string;
const cleanup: (() => Promise<unknown>)[] = [];

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'sdk-http-'));
  ws = join(root, 'ws');
});
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
  rmSync(root, { recursive: true, force: true });
});

const FAST = { num_retries: 3, retry_min_wait: 0, retry_max_wait: 0.05, retry_multiplier: 0.01, timeout: 30 };
const API_KEY = 'sk-scripted-VERYSECRET-0123456789';

/** A task whose terminal and file_editor actions change the workspace; a 429 and malformed arguments on the way. */
const task = (): ScriptInput => ({
  turns: [
    { error: { status: 429, message: 'rate limited', retry_after: 0 } },
    { text: 'Creating the script.', tool_calls: [{ name: 'file_editor', arguments: { command: 'create', path: join(ws, 'count.sh'), file_text: 'echo one\necho two\n' } }] },
    { tool_calls: [{ name: 'terminal', arguments: '{"command": "bash count.sh' }], expect_tool_result_contains: 'File created successfully' },
    { tool_calls: [{ name: 'file_editor', arguments: { command: 'str_replace', path: join(ws, 'count.sh'), old_str: 'echo two', new_str: 'echo TWO' } }], expect_tool_result_contains: 'not valid JSON' },
    { error: { status: 503, message: 'overloaded' } },
    { tool_calls: [{ name: 'terminal', arguments: { command: 'bash count.sh > out.txt && cat out.txt' } }], expect_tool_result_contains: 'has been edited' },
    { tool_calls: [{ name: 'finish', arguments: { message: 'count.sh prints one and TWO' } }], expect_tool_result_contains: 'TWO' },
  ],
});

async function runTask(server: ScriptedServer, model: string, stream: boolean, baseUrl: string): Promise<{ conv: LocalConversation; events: Event[]; deltas: string[]; logs: string[] }> {
  const logs: string[] = [];
  const log = (o: object, m?: string) => { logs.push(`${JSON.stringify(o)} ${m ?? ''}`); };
  const deltas: string[] = [];
  const conv = await LocalConversation.create({
    agent: { llm: { model, base_url: baseUrl, api_key: API_KEY, stream, usage_id: 'agent', ...FAST }, tools: [{ name: 'terminal' }, { name: 'file_editor' }] },
    workspace: ws,
    persistence_dir: join(root, 'store'),
    logger: { debug: log, info: log, warn: log, error: log },
    onStreamingDelta: (d) => { if (d.content) deltas.push(d.content); },
  });
  cleanup.push(() => conv.close());
  await conv.sendMessage('Write count.sh, fix its second line, run it.');
  const status = await conv.run();
  const errors = conv.events().filter((e) => e.kind === 'ConversationErrorEvent');
  expect({ status, errors, violations: server.player.violations }).toEqual({ status: 'finished', errors: [], violations: [] });
  return { conv, events: [...conv.events()], deltas, logs };
}

function expectTaskDone(events: Event[], logs: string[], server: ScriptedServer): void {
  expect(readFileSync(join(ws, 'out.txt'), 'utf8')).toBe('one\nTWO\n');
  expect(readFileSync(join(ws, 'count.sh'), 'utf8')).toBe('echo one\necho TWO\n');
  expect(events.filter((e) => e.kind === 'AgentErrorEvent')).toHaveLength(1);
  expect(server.player.remaining).toBe(0);
  // The key reached the server, and nowhere else.
  expect(server.seenKeys).toEqual(new Set([API_KEY]));
  const disk = existsSync(join(root, 'store')) ? JSON.stringify(events) : '';
  expect(`${disk}\n${logs.join('\n')}`).not.toContain(API_KEY);
}

describe.each([false, true])('OpenAI adapter over HTTP (stream=%s)', (stream) => {
  it('completes a task against the scripted OpenAI-compatible server, retrying 429/503 and surviving malformed arguments', async () => {
    const server = await startScriptedOpenAIServer({ script: task(), apiKey: API_KEY });
    cleanup.push(() => server.close());
    const { events, deltas, logs } = await runTask(server, 'openai/gpt-scripted', stream, `${server.url}/v1`);
    expectTaskDone(events, logs, server);
    expect(server.seenModels.every((m) => m === 'gpt-scripted')).toBe(true);
    expect(server.seenStream.every((s) => s === stream)).toBe(true);
    if (stream) expect(deltas.join('')).toContain('Creating the script.');
    const usage = events.filter((e) => e.kind === 'ConversationStateUpdateEvent' && e.key === 'stats').length;
    expect(usage).toBe(5);
  });
});

describe.each([false, true])('Anthropic adapter over HTTP (stream=%s)', (stream) => {
  it('completes a task against the scripted Anthropic Messages server', async () => {
    const server = await startScriptedAnthropicServer({ script: task(), apiKey: API_KEY });
    cleanup.push(() => server.close());
    const { events, logs } = await runTask(server, 'anthropic/claude-scripted', stream, server.url);
    expectTaskDone(events, logs, server);
    expect(server.seenModels.every((m) => m === 'claude-scripted')).toBe(true);
  });

  it('extended thinking: the signed blocks land in ActionEvent/MessageEvent thinking_blocks and go back to the model', async () => {
    const server = await startScriptedAnthropicServer({
      apiKey: API_KEY,
      script: { turns: [
        { thinking: 'The user wants a file listing.', tool_calls: [{ name: 'terminal', arguments: { command: 'ls' } }] },
        { thinking: 'Listing done.', text: 'Listed.' },
      ] },
    });
    cleanup.push(() => server.close());
    const conv = await LocalConversation.create({
      agent: { llm: { model: 'anthropic/claude-scripted', base_url: server.url, api_key: API_KEY, stream, usage_id: 'agent', ...FAST }, tools: [{ name: 'terminal' }] },
      workspace: ws,
    });
    cleanup.push(() => conv.close());
    await conv.sendMessage('list the files');
    expect(await conv.run()).toBe('finished');
    const block = (thinking: string) => ({ type: 'thinking', thinking, signature: 'scripted-signature' });
    const action = conv.events().find((e) => e.kind === 'ActionEvent');
    expect(action).toMatchObject({ thinking_blocks: [block('The user wants a file listing.')], reasoning_content: 'The user wants a file listing.' });
    const reply = conv.events().find((e) => e.kind === 'MessageEvent' && e.source === 'agent');
    expect(reply).toMatchObject({ llm_message: { thinking_blocks: [block('Listing done.')] } });
    // Every message has the field (OpenHands writes []), and the second request carried the first turn's block back.
    const user = conv.events().find((e) => e.kind === 'MessageEvent' && e.source === 'user');
    expect(user).toMatchObject({ llm_message: { thinking_blocks: [] } });
    expect(server.player.requests[1]!.find((m) => m.role === 'assistant')?.thinking_blocks).toEqual([block('The user wants a file listing.')]);
    expect(server.player.violations).toEqual([]);
  });
});

describe('LLM errors over HTTP', () => {
  it('litellm_proxy/ names go to the proxy with the prefix stripped', async () => {
    const server = await startScriptedOpenAIServer({ script: { turns: [{ text: 'hi' }] } });
    cleanup.push(() => server.close());
    const conv = await LocalConversation.create({ agent: { llm: { model: 'litellm_proxy/anthropic/claude-x', base_url: server.url, ...FAST } }, workspace: ws });
    cleanup.push(() => conv.close());
    await conv.sendMessage('hello');
    expect(await conv.run()).toBe('finished');
    expect(server.seenModels).toEqual(['anthropic/claude-x']);
  });

  it('a wrong API key is an auth error event, not retried, and the key is not in it', async () => {
    const server = await startScriptedOpenAIServer({ script: { turns: [{ text: 'never' }] }, apiKey: 'the-right-key' });
    cleanup.push(() => server.close());
    const wrong = 'sk-wrong-key-abcdef123456';
    const conv = await LocalConversation.create({ agent: { llm: { model: 'openai/x', base_url: server.url, api_key: wrong, ...FAST } }, workspace: ws });
    cleanup.push(() => conv.close());
    await conv.sendMessage('hello');
    expect(await conv.run()).toBe('error');
    const err = conv.events().find((e) => e.kind === 'ConversationErrorEvent');
    expect(err?.kind === 'ConversationErrorEvent' && err.code).toBe('LLMAuthenticationError');
    expect(err?.kind === 'ConversationErrorEvent' && err.classification?.kind).toBe('auth');
    expect(JSON.stringify(conv.events())).not.toContain(wrong);
    expect(server.player.requests).toHaveLength(0);
  });

  it('retries give up after num_retries and the run ends in error; an unreachable endpoint is a connection error', async () => {
    const server = await startScriptedOpenAIServer({ script: { turns: [{ error: { status: 500, message: 'down' }, repeat: 4 }] } });
    cleanup.push(() => server.close());
    const conv = await LocalConversation.create({ agent: { llm: { model: 'openai/x', base_url: server.url, ...FAST, num_retries: 2 } }, workspace: ws });
    cleanup.push(() => conv.close());
    await conv.sendMessage('hello');
    expect(await conv.run()).toBe('error');
    expect(server.player.requests).toHaveLength(3);
    const err = conv.events().find((e) => e.kind === 'ConversationErrorEvent');
    expect(err?.kind === 'ConversationErrorEvent' && err.code).toBe('LLMServiceUnavailableError');

    const port = server.port;
    await server.close();
    const conv2 = await LocalConversation.create({ agent: { llm: { model: 'openai/x', base_url: `http://127.0.0.1:${port}`, ...FAST, num_retries: 1 } }, workspace: ws });
    cleanup.push(() => conv2.close());
    await conv2.sendMessage('hello');
    expect(await conv2.run()).toBe('error');
    const err2 = conv2.events().find((e) => e.kind === 'ConversationErrorEvent');
    expect(err2?.kind === 'ConversationErrorEvent' && err2.code).toBe('LLMConnectionError');
  });

  it('the scripted server fails a request whose history lacks a tool call\'s result', async () => {
    const server = await startScriptedOpenAIServer({ script: { turns: [{ tool_calls: [{ name: 'terminal', arguments: { command: 'ls' }, id: 'call_1' }] }, { text: 'ok' }] } });
    cleanup.push(() => server.close());
    const client = new OpenAI({ apiKey: 'x', baseURL: `${server.url}/v1`, maxRetries: 0 });
    await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'go' }] });
    await expect(client.chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: 'go' }, { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'terminal', arguments: '{}' } }] }],
    })).rejects.toThrow(/tool call call_1 \(terminal\) has no tool result/);
    expect(server.player.violations).toHaveLength(1);
  });

  it('a request slower than llm.timeout fails as LLMTimeoutError', async () => {
    const server = await startScriptedOpenAIServer({ script: { turns: [{ text: 'late', delay_ms: 3000 }] } });
    cleanup.push(() => server.close());
    const conv = await LocalConversation.create({ agent: { llm: { model: 'openai/x', base_url: server.url, ...FAST, num_retries: 0, timeout: 0.3 } }, workspace: ws });
    cleanup.push(() => conv.close());
    await conv.sendMessage('hello');
    expect(await conv.run()).toBe('error');
    const err = conv.events().find((e) => e.kind === 'ConversationErrorEvent');
    expect(err?.kind === 'ConversationErrorEvent' && err.code).toBe('LLMTimeoutError');
  });

  it('interrupt aborts the in-flight HTTP request', async () => {
    const server = await startScriptedOpenAIServer({ script: { turns: [{ text: 'slow', delay_ms: 30_000 }, { text: 'next' }] } });
    cleanup.push(() => server.close());
    const conv = await LocalConversation.create({ agent: { llm: { model: 'openai/x', base_url: server.url, ...FAST } }, workspace: ws });
    cleanup.push(() => conv.close());
    await conv.sendMessage('hello');
    const running = conv.run();
    await waitFor(() => server.player.requests.length === 1, 'the LLM request to reach the server');
    await conv.interrupt();
    expect(await running).toBe('paused');
    expect(conv.events().some((e) => e.kind === 'ConversationErrorEvent')).toBe(false);
    expect(conv.events().some((e) => e.kind === 'MessageEvent' && e.source === 'agent')).toBe(false);
  });
});
