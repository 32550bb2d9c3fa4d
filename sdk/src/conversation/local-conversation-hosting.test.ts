// The API a host (the agent server) runs conversations through: emit, fork, askAgent, list, remove, and the
// error classes it maps. Every event a host adds or copies is masked and persisted by the conversation itself.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AgentSpecInput } from '../agent/agent-spec.js';
import { LLMError } from '../llm/errors.js';
import { ScriptedLLM } from '../llm/scripted-llm.js';
import type { ScriptInput } from '../testing/script.js';
import { ConversationExistsError, ConversationNotFoundError, EventNotFoundError } from './errors.js';
import { LocalConversation, type LocalConversationOptions } from './local-conversation.js';
import { PersistenceError } from './persistence.js';

const SECRET = 'hunter2-deploy-token';
let root: string;
let ws: string;
let store: string;
const open: LocalConversation[] = [];

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'conv-host-'));
  ws = join(root, 'ws');
  store = join(root, 'conversations');
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
  rmSync(root, { recursive: true, force: true });
});

/** A script for conversations that never call the model. */
const IDLE: ScriptInput = { turns: [{ text: 'unused' }] };
const agent: AgentSpecInput = { llm: { model: 'scripted/test', usage_id: 'agent' }, tools: [{ name: 'terminal' }] };

async function create(script: ScriptInput, opts: Partial<LocalConversationOptions> = {}): Promise<LocalConversation> {
  const conv = await LocalConversation.create({
    agent, workspace: ws, persistence_dir: store, llmFactory: (cfg) => new ScriptedLLM(cfg, script), ...opts,
  });
  open.push(conv);
  return conv;
}

async function reopen(id: string, opts: { secrets?: Record<string, string> } = {}): Promise<LocalConversation> {
  const conv = await LocalConversation.open({
    persistence_dir: store, conversation_id: id, llmFactory: (cfg) => new ScriptedLLM(cfg, { turns: [{ text: 'x' }] }), ...opts,
  });
  open.push(conv);
  return conv;
}

/** Every file under the conversation's directory, concatenated. */
function disk(conv: LocalConversation): string {
  return readdirSync(conv.persistenceDir!, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile()).map((d) => readFileSync(join(d.parentPath, d.name), 'utf8')).join('\n');
}

describe('emit', () => {
  it('masks, persists and publishes an event a host adds', async () => {
    const conv = await create(IDLE, { secrets: { TOKEN: SECRET } });
    const seen: string[] = [];
    conv.subscribe((e) => seen.push(JSON.stringify(e)));
    const e = conv.emit({ kind: 'ConversationErrorEvent', source: 'environment', code: 'ServerRestarted', detail: `restarted with ${SECRET}` });
    expect(e.detail).toBe('restarted with <secret-hidden>');
    expect(conv.event(e.id)).toBe(e);
    expect(disk(conv)).toContain('restarted with <secret-hidden>');
    expect([disk(conv), ...seen].join('\n')).not.toContain(SECRET);
    expect((await reopen(conv.id)).events().at(-1)).toEqual(e);
  });
});

describe('fork', () => {
  it('copies the events up to the cut into a new persisted conversation, masked with the secrets known now', async () => {
    // The message was written before the secret was known; the fork must not carry it over in the clear.
    const src = await create({ turns: [{ text: 'noted' }] });
    await src.sendMessage(`remember ${SECRET}`);
    expect(await src.run()).toBe('finished');
    await src.close();
    const withSecret = await reopen(src.id, { secrets: { TOKEN: SECRET } });
    expect(disk(withSecret)).toContain(SECRET);
    const cut = withSecret.events().find((e) => e.kind === 'MessageEvent' && e.source === 'user')!;

    const fork = await withSecret.fork({ up_to_event_id: cut.id });
    open.push(fork);
    expect(fork.id).not.toBe(src.id);
    expect(fork.status).toBe('idle');
    expect(fork.events().map((e) => e.id)).toEqual(withSecret.events().slice(0, withSecret.events().indexOf(cut) + 1).map((e) => e.id));
    expect(disk(fork)).not.toContain(SECRET);
    expect(JSON.stringify(fork.events())).toContain('remember <secret-hidden>');
    const again = await reopen(fork.id);
    expect(again.events().map((e) => e.id)).toEqual(fork.events().map((e) => e.id));
    expect(again.stateDump()).toMatchObject({ id: fork.id, execution_status: 'idle', last_user_message_id: cut.id });
  });

  it('keeps the status and metrics unless told otherwise; refuses an unknown event and a taken id', async () => {
    const src = await create({ turns: [{ text: 'done' }] });
    await src.sendMessage('go');
    expect(await src.run()).toBe('finished');
    const whole = await src.fork();
    open.push(whole);
    expect(whole.status).toBe('finished');
    expect(whole.events()).toHaveLength(src.events().length);
    expect(whole.stats).toEqual(src.stats);
    const reset = await src.fork({ reset_metrics: true });
    open.push(reset);
    expect(reset.stats.usage_to_metrics).toEqual({});
    await expect(src.fork({ up_to_event_id: 'nope' })).rejects.toThrow(EventNotFoundError);
    await expect(src.fork({ conversation_id: whole.id })).rejects.toThrow(ConversationExistsError);
  });
});

describe('condense', () => {
  it('masks a secret the summarizing model repeats, in the Condensation event on disk and as published', async () => {
    const conv = await LocalConversation.create({
      agent: { ...agent, condenser: { kind: 'LLMSummarizingCondenser', llm: { model: 'scripted/c', usage_id: 'condenser' }, max_size: 100, keep_first: 1 } },
      workspace: ws, persistence_dir: store, secrets: { TOKEN: SECRET },
      llmFactory: (cfg) => new ScriptedLLM(cfg, cfg.usage_id === 'condenser' ? { turns: [{ text: `the user deploys with ${SECRET}` }] } : { turns: [{ text: 'done' }] }),
    });
    open.push(conv);
    const published: string[] = [];
    conv.subscribe((e) => published.push(JSON.stringify(e)));
    await conv.sendMessage('go');
    expect(await conv.run()).toBe('finished');
    await conv.condense();
    const condensation = conv.events().find((e) => e.kind === 'Condensation');
    expect(condensation).toMatchObject({ summary: 'the user deploys with <secret-hidden>' });
    expect(published.some((p) => p.includes('"Condensation"'))).toBe(true);
    expect(published.join('\n')).not.toContain(SECRET);
    expect(disk(conv)).not.toContain(SECRET);
    expect(disk(conv)).toContain('the user deploys with');
  });
});

describe('askAgent', () => {
  it('answers from the conversation so far, masked, without adding an event', async () => {
    const conv = await create({ turns: [{ text: 'ok' }, { text: `you told me ${SECRET}` }] }, { secrets: { TOKEN: SECRET } });
    await conv.sendMessage('hello');
    expect(await conv.run()).toBe('finished');
    const before = conv.events().length;
    expect(await conv.askAgent('what did I say?')).toBe('you told me <secret-hidden>');
    expect(conv.events()).toHaveLength(before);
  });

  it('throws what the model throws', async () => {
    const conv = await create({ turns: [{ error: { status: 401, message: 'bad key' } }] });
    await expect(conv.askAgent('x')).rejects.toThrow(LLMError);
  });
});

describe('stored conversations', () => {
  it('list reads each one without its events, reports what does not read, and remove deletes one', async () => {
    const a = await create(IDLE);
    const b = await create(IDLE);
    mkdirSync(join(store, 'not-a-conversation'));
    const broken = join(store, 'ffffffffffff4fffbfffffffffffffff');
    mkdirSync(broken);
    writeFileSync(join(broken, 'base_state.json'), '{"id": trunc');
    const unreadable: string[] = [];
    const listed = LocalConversation.list(store, (dir) => unreadable.push(dir));
    expect(listed.map((c) => c.id).sort()).toEqual([a.id, b.id].sort());
    expect(listed.find((c) => c.id === a.id)).toMatchObject({ dir: a.persistenceDir, state: { id: a.id, execution_status: 'idle' } });
    expect(unreadable).toEqual([broken]);
    expect(LocalConversation.list(join(root, 'none'))).toEqual([]);

    await a.close();
    LocalConversation.remove(store, a.id);
    expect(existsSync(a.persistenceDir!)).toBe(false);
    expect(() => LocalConversation.remove(store, a.id)).toThrow(ConversationNotFoundError);
    await expect(reopen(a.id)).rejects.toThrow(ConversationNotFoundError);
  });

  it('a directory whose state names another conversation is unreadable, not adopted', async () => {
    const a = await create(IDLE);
    const copy = join(store, '0123456789abcdef0123456789abcdef');
    mkdirSync(copy);
    writeFileSync(join(copy, 'base_state.json'), readFileSync(join(a.persistenceDir!, 'base_state.json')));
    const errors: unknown[] = [];
    expect(LocalConversation.list(store, (_dir, err) => errors.push(err)).map((c) => c.id)).toEqual([a.id]);
    expect(errors[0]).toBeInstanceOf(PersistenceError);
  });

  it('create refuses a taken id, and a conversation that fails to start leaves no directory', async () => {
    const a = await create(IDLE);
    await expect(create(IDLE, { conversation_id: a.id })).rejects.toThrow(ConversationExistsError);
    const failing = LocalConversation.create({
      agent, workspace: ws, persistence_dir: store, conversation_id: '11111111-1111-4111-8111-111111111111',
      llmFactory: () => { throw new LLMError('LLMConfigError', 'no such model'); },
    });
    await expect(failing).rejects.toThrow(LLMError);
    expect(existsSync(join(store, '11111111111141118111111111111111'))).toBe(false);
  });
});
