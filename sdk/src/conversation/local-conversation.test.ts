import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AgentSpecInput } from '../agent/agent-spec.js';
import type { Event } from '../events/event.js';
import { NAIVE_TIMESTAMP } from '../events/base.js';
import type { LLMConfig } from '../llm/config.js';
import { ScriptedLLM } from '../llm/scripted-llm.js';
import type { ScriptInput } from '../testing/script.js';
import { LocalConversation, type LocalConversationOptions } from './local-conversation.js';

let root: string;
let ws: string;
let store: string;
const open: LocalConversation[] = [];

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'conv-'));
  ws = join(root, 'ws');
  store = join(root, 'conversations');
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
  rmSync(root, { recursive: true, force: true });
});

const FAST = { num_retries: 2, retry_min_wait: 0, retry_max_wait: 0.01, retry_multiplier: 0.001 };
const agentSpec = (extra: Partial<AgentSpecInput> = {}): AgentSpecInput => ({
  llm: { model: 'scripted/test', usage_id: 'agent', ...FAST },
  tools: [{ name: 'terminal', params: { no_change_timeout_seconds: 2 } }, { name: 'file_editor' }, { name: 'task_tracker' }],
  ...extra,
});

async function start(script: ScriptInput, opts: Partial<LocalConversationOptions> = {}): Promise<{ conv: LocalConversation; llm: () => ScriptedLLM }> {
  let llm: ScriptedLLM | undefined;
  const conv = await LocalConversation.create({
    agent: agentSpec(),
    workspace: ws,
    persistence_dir: store,
    llmFactory: (cfg: LLMConfig) => (llm = new ScriptedLLM(cfg, script)),
    ...opts,
  });
  open.push(conv);
  return { conv, llm: () => llm! };
}

const kinds = (events: readonly Event[]) => events.map((e) => (e.kind === 'ConversationStateUpdateEvent' ? `State:${e.key}${e.key === 'execution_status' ? `=${String(e.value)}` : ''}` : e.kind === 'MessageEvent' ? `Message:${e.source}` : e.kind === 'ActionEvent' ? `Action:${e.tool_name}` : e.kind));

const TASK: ScriptInput = {
  turns: [
    { text: 'I will create the file.', tool_calls: [{ name: 'file_editor', arguments: { command: 'create', path: '__WS__/hello.py', file_text: 'print("hello")\n' } }] },
    { tool_calls: [{ name: 'terminal', arguments: { command: 'python3 hello.py > out.txt; cat out.txt' } }], expect_tool_result_contains: 'File created successfully' },
    { tool_calls: [{ name: 'finish', arguments: { message: 'Done: hello.py prints hello.' } }], expect_tool_result_contains: 'hello' },
  ],
};
const withWs = (s: ScriptInput): ScriptInput => JSON.parse(JSON.stringify(s).replaceAll('__WS__', ws)) as ScriptInput;

describe('LocalConversation with the in-process scripted model', () => {
  it('completes a task whose tools really change the workspace, in the protocol\'s event order (golden)', async () => {
    const { conv, llm } = await start(withWs(TASK));
    const live: Event[] = [];
    conv.subscribe((e) => live.push(e));
    await conv.sendMessage('Write hello.py and run it');
    expect(await conv.run()).toBe('finished');
    expect(readFileSync(join(ws, 'hello.py'), 'utf8')).toBe('print("hello")\n');
    expect(readFileSync(join(ws, 'out.txt'), 'utf8')).toBe('hello\n');
    expect(llm().player.violations).toEqual([]);
    expect(kinds(conv.events())).toEqual([
      'SystemPromptEvent',
      'Message:user',
      'State:last_user_message_id',
      'State:execution_status=running',
      'State:stats', 'Action:file_editor', 'ObservationEvent',
      'State:stats', 'Action:terminal', 'ObservationEvent',
      'State:stats', 'Action:finish', 'ObservationEvent',
      'State:execution_status=finished',
    ]);
    // Subscribers see every persisted event, then the full_state snapshot after the run.
    expect(live.slice(0, -1)).toEqual(conv.events().slice(0));
    const last = live[live.length - 1]!;
    expect(last.kind === 'ConversationStateUpdateEvent' && last.key).toBe('full_state');
    expect((last as { value: { execution_status: string } }).value.execution_status).toBe('finished');
    const finish = conv.events().find((e) => e.kind === 'ActionEvent' && e.tool_name === 'finish');
    expect(finish?.kind === 'ActionEvent' && finish.action).toEqual({ kind: 'FinishAction', message: 'Done: hello.py prints hello.' });
    const first = conv.events().find((e) => e.kind === 'ActionEvent');
    expect(first?.kind === 'ActionEvent' && first.thought[0]?.text).toBe('I will create the file.');
    for (const e of conv.events()) {
      expect(e.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(e.timestamp).toMatch(NAIVE_TIMESTAMP);
    }
    const stamps = conv.events().map((e) => e.timestamp);
    expect([...stamps].sort()).toEqual(stamps);
    expect(conv.stats.usage_to_metrics.agent?.accumulated_token_usage.prompt_tokens).toBeGreaterThan(0);
  });

  it('as OpenHands 1.58.2: parent_id chains the events (state updates hang off the head without moving it), last_user_message_id is a state update, ActionEvent.summary is filled', async () => {
    const { conv, llm } = await start(withWs({
      turns: [
        { tool_calls: [{ name: 'terminal', arguments: { command: 'echo hi', summary: 'Say hi in the shell' } }] },
        { tool_calls: [{ name: 'terminal', arguments: { command: 'echo ü' } }] },
        { text: 'done' },
      ],
    }));
    await conv.sendMessage('go');
    expect(await conv.run()).toBe('finished');
    const events = conv.events();
    let head: string | null = null;
    for (const e of events) {
      expect(e.parent_id).toBe(head);
      if (e.kind !== 'ConversationStateUpdateEvent') head = e.id;
    }
    expect(conv.stateDump().leaf_event_id).toBe(head);
    const message = events.find((e) => e.kind === 'MessageEvent' && e.source === 'user')!;
    const update = events[events.indexOf(message) + 1]!;
    expect(update).toMatchObject({ kind: 'ConversationStateUpdateEvent', key: 'last_user_message_id', value: message.id, parent_id: message.id });
    expect(conv.stateDump().last_user_message_id).toBe(message.id);
    const actions = events.filter((e) => e.kind === 'ActionEvent');
    expect(actions.map((a) => a.kind === 'ActionEvent' && a.summary)).toEqual(['Say hi in the shell', 'terminal: {"command": "echo \\u00fc"}']);
    // The summary is taken out of the arguments (the action has none); every tool offers it to the model, first.
    expect(actions[0]!.kind === 'ActionEvent' && actions[0]!.action).toMatchObject({ kind: 'TerminalAction', command: 'echo hi' });
    expect(actions[0]!.kind === 'ActionEvent' && actions[0]!.action).not.toHaveProperty('summary');
    const tools = llm().player.requests.length;
    expect(tools).toBe(3);
    // Reopened, the next event continues from the same head.
    await conv.close();
    const again = await LocalConversation.open({ persistence_dir: store, conversation_id: conv.id, llmFactory: (cfg: LLMConfig) => new ScriptedLLM(cfg, { turns: [{ text: 'ok' }] }) });
    open.push(again);
    await again.sendMessage('more');
    expect(again.events().slice(events.length).map((e) => e.parent_id)).toEqual([head, head, again.events().at(-2)!.id]);
  });

  it('persists in the OpenHands layout and reopens with every event; a new message continues it', async () => {
    const script = withWs(TASK);
    script.turns.push({ text: 'Anything else?' });
    const { conv } = await start(script);
    await conv.sendMessage('Write hello.py and run it');
    await conv.run();
    const dir = join(store, conv.id.replaceAll('-', ''));
    expect(existsSync(join(dir, 'meta.json'))).toBe(true);
    expect(JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')).id).toBe(conv.id.replaceAll('-', ''));
    const files = readdirSync(join(dir, 'events')).sort();
    expect(files).toHaveLength(conv.events().length);
    files.forEach((f, i) => expect(f).toBe(`event-${String(i).padStart(5, '0')}-${conv.events()[i]!.id}.json`));
    await conv.close();

    let llm2: ScriptedLLM | undefined;
    const reopened = await LocalConversation.open({
      persistence_dir: store, conversation_id: conv.id,
      llmFactory: (cfg) => (llm2 = new ScriptedLLM(cfg, { turns: [{ text: 'Nothing more to do.' }] })),
    });
    open.push(reopened);
    expect(reopened.events()).toEqual(conv.events());
    expect(reopened.status).toBe('finished');
    await reopened.sendMessage('Anything else?');
    expect(reopened.status).toBe('idle');
    expect(await reopened.run()).toBe('finished');
    expect(llm2!.player.violations).toEqual([]);
    // The model saw the whole history, including the earlier tool results.
    const seen = llm2!.player.requests[0]!;
    expect(seen.filter((m) => m.role === 'tool')).toHaveLength(3);
  });

  it('pause stops after the current step; run resumes', async () => {
    const { conv } = await start({
      turns: [
        { tool_calls: [{ name: 'think', arguments: { thought: 'one' } }], delay_ms: 100 },
        { tool_calls: [{ name: 'think', arguments: { thought: 'two' } }] },
        { tool_calls: [{ name: 'finish', arguments: { message: 'ok' } }] },
      ],
    });
    await conv.sendMessage('go');
    const running = conv.run();
    await conv.pause();
    expect(await running).toBe('paused');
    expect(kinds(conv.events())).toContain('PauseEvent');
    expect(conv.events().filter((e) => e.kind === 'ActionEvent')).toHaveLength(1);
    expect(await conv.run()).toBe('finished');
  });

  it('interrupt cancels the in-flight LLM call at once', async () => {
    const { conv, llm } = await start({ turns: [{ text: 'never delivered', delay_ms: 60_000 }, { text: 'after interrupt' }] });
    await conv.sendMessage('go');
    const running = conv.run();
    await new Promise((r) => setTimeout(r, 50));
    await conv.interrupt();
    expect(await running).toBe('paused');
    expect(kinds(conv.events())).toEqual(expect.arrayContaining(['InterruptEvent', 'State:execution_status=paused']));
    expect(kinds(conv.events())).not.toContain('Message:agent');
    expect(kinds(conv.events())).not.toContain('ConversationErrorEvent');
    expect(llm().player.requests).toHaveLength(1);
    expect(await conv.run()).toBe('finished');
  });

  it('interrupt stops a running terminal command', async () => {
    const { conv } = await start({
      turns: [
        { tool_calls: [{ name: 'terminal', arguments: { command: 'sleep 60; touch never', timeout: 120 } }] },
        { tool_calls: [{ name: 'finish', arguments: { message: 'ok' } }] },
      ],
    });
    await conv.sendMessage('go');
    const running = conv.run();
    const seen = new Promise<void>((r) => conv.subscribe((e) => { if (e.kind === 'ActionEvent') setTimeout(r, 100); }));
    await seen;
    await conv.interrupt();
    expect(await running).toBe('paused');
    expect(existsSync(join(ws, 'never'))).toBe(false);
    expect(await conv.run()).toBe('finished');
  });

  it('AlwaysConfirm: actions wait; confirm runs them, reject feeds the reason back', async () => {
    const { conv, llm } = await start(
      {
        turns: [
          { tool_calls: [{ name: 'terminal', arguments: { command: 'touch confirmed' } }] },
          { tool_calls: [{ name: 'terminal', arguments: { command: 'touch rejected' } }], expect_tool_result_contains: '' },
          { text: 'understood', expect_tool_result_contains: 'too dangerous' },
        ],
      },
      { confirmation_policy: { kind: 'AlwaysConfirm' } },
    );
    await conv.sendMessage('go');
    expect(await conv.run()).toBe('waiting_for_confirmation');
    expect(existsSync(join(ws, 'confirmed'))).toBe(false);
    expect(await conv.confirm()).toBe('waiting_for_confirmation');
    expect(existsSync(join(ws, 'confirmed'))).toBe(true);
    await conv.reject('too dangerous');
    expect(conv.status).toBe('idle');
    expect(existsSync(join(ws, 'rejected'))).toBe(false);
    const rej = conv.events().find((e) => e.kind === 'UserRejectObservation');
    expect(rej?.kind === 'UserRejectObservation' && rej.rejection_reason).toBe('too dangerous');
    expect(await conv.run()).toBe('finished');
    expect(llm().player.violations).toEqual([]);
    await expect(conv.confirm()).rejects.toThrow(/nothing waits for confirmation/);
    const before = conv.events().length;
    await conv.reject('nothing to reject');
    expect(conv.events()).toHaveLength(before);
  });

  it('pause and interrupt of an idle conversation pause it with a PauseEvent; of a finished one do nothing', async () => {
    const { conv } = await start({ turns: [{ text: 'done' }] });
    await conv.sendMessage('go');
    await conv.interrupt();
    expect(conv.status).toBe('paused');
    expect(kinds(conv.events()).slice(-2)).toEqual(['State:execution_status=paused', 'PauseEvent']);
    expect(await conv.run()).toBe('finished');
    const n = conv.events().length;
    await conv.pause();
    expect(conv.events()).toHaveLength(n);
    expect(conv.status).toBe('finished');
  });

  it('ConfirmRisky: only actions at or above the threshold wait', async () => {
    const { conv } = await start(
      {
        turns: [
          { tool_calls: [{ name: 'terminal', arguments: { command: 'touch low', security_risk: 'LOW' } }] },
          { tool_calls: [{ name: 'terminal', arguments: { command: 'touch high', security_risk: 'HIGH' } }] },
          { text: 'done' },
        ],
      },
      { confirmation_policy: { kind: 'ConfirmRisky', threshold: 'HIGH' } },
    );
    await conv.sendMessage('go');
    expect(await conv.run()).toBe('waiting_for_confirmation');
    expect(existsSync(join(ws, 'low'))).toBe(true);
    expect(existsSync(join(ws, 'high'))).toBe(false);
    const risky = conv.events().filter((e) => e.kind === 'ActionEvent').map((e) => e.kind === 'ActionEvent' && e.security_risk);
    expect(risky).toEqual(['LOW', 'HIGH']);
    expect(await conv.confirm()).toBe('finished');
    expect(existsSync(join(ws, 'high'))).toBe(true);
  });

  it('max_iterations ends the run with error and a MaxIterationsReached event', async () => {
    const { conv } = await start(
      { turns: [{ tool_calls: [{ name: 'think', arguments: { thought: 'hmm' } }], repeat: 2 }, { tool_calls: [{ name: 'terminal', arguments: { command: 'true' } }] }] },
      { max_iterations: 3, stuck_detection: false },
    );
    await conv.sendMessage('go');
    expect(await conv.run()).toBe('error');
    const err = conv.events().find((e) => e.kind === 'ConversationErrorEvent');
    expect(err?.kind === 'ConversationErrorEvent' && err.code).toBe('MaxIterationsReached');
    expect(conv.events().filter((e) => e.kind === 'ActionEvent')).toHaveLength(3);
  });

  it('stuck detection: the same action and observation repeated stops the run', async () => {
    const { conv } = await start({ turns: [{ tool_calls: [{ name: 'terminal', arguments: { command: 'echo same' } }], repeat: 10 }] });
    await conv.sendMessage('go');
    expect(await conv.run()).toBe('stuck');
    expect(conv.events().filter((e) => e.kind === 'ActionEvent')).toHaveLength(4);
    // A new message un-sticks the conversation.
    await conv.sendMessage('try something else');
    expect(conv.status).toBe('idle');
  });

  it('stuck detection: the same failing call repeated (action/error) stops the run', async () => {
    const { conv } = await start({ turns: [{ tool_calls: [{ name: 'terminal', arguments: '{"command": ' }], repeat: 10 }] });
    await conv.sendMessage('go');
    expect(await conv.run()).toBe('stuck');
    expect(conv.events().filter((e) => e.kind === 'AgentErrorEvent')).toHaveLength(3);
  });

  it('condensation: a long history is summarized and the model sees the summary instead', async () => {
    let condenserLLM: ScriptedLLM | undefined;
    let agentLLM: ScriptedLLM | undefined;
    const conv = await LocalConversation.create({
      agent: agentSpec({ condenser: { kind: 'LLMSummarizingCondenser', llm: { model: 'scripted/condenser', usage_id: 'condenser' }, max_size: 10, keep_first: 2 } }),
      workspace: ws,
      persistence_dir: store,
      stuck_detection: false,
      llmFactory: (cfg) => cfg.usage_id === 'condenser'
        ? (condenserLLM = new ScriptedLLM(cfg, { turns: [{ text: 'SUMMARY: echoed 1..4' }, { text: 'SUMMARY 2' }] }))
        : (agentLLM = new ScriptedLLM(cfg, {
          turns: [
            ...[1, 2, 3, 4, 5, 6].map((i) => ({ tool_calls: [{ name: 'terminal', arguments: { command: `echo step${i}` } }] })),
            { tool_calls: [{ name: 'finish', arguments: { message: 'ok' } }] },
          ],
        })),
    });
    open.push(conv);
    await conv.sendMessage('go');
    expect(await conv.run()).toBe('finished');
    const cond = conv.events().filter((e) => e.kind === 'Condensation');
    expect(cond.length).toBeGreaterThanOrEqual(1);
    const c = cond[0]!;
    expect(c.kind === 'Condensation' && c.summary).toBe('SUMMARY: echoed 1..4');
    expect(c.kind === 'Condensation' && c.forgotten_event_ids.length).toBeGreaterThan(0);
    expect(agentLLM!.player.violations).toEqual([]);
    const afterCondensation = agentLLM!.player.requests.find((r) => r.some((m) => m.content.some((x) => x.type === 'text' && x.text.includes('SUMMARY: echoed'))));
    expect(afterCondensation).toBeDefined();
    expect(afterCondensation!.length).toBeLessThanOrEqual(10);
    expect(conv.stats.usage_to_metrics.condenser).toBeDefined();
    expect(condenserLLM!.player.requests.length).toBe(cond.length);
  });
});

describe('manual condensation', () => {
  it('condense() summarizes now when idle, and refuses without a summarizing condenser', async () => {
    let condenser: ScriptedLLM | undefined;
    const conv = await LocalConversation.create({
      agent: agentSpec({ condenser: { kind: 'LLMSummarizingCondenser', llm: { model: 'scripted/c', usage_id: 'condenser' }, max_size: 100, keep_first: 1 } }),
      workspace: ws,
      llmFactory: (cfg) => cfg.usage_id === 'condenser'
        ? (condenser = new ScriptedLLM(cfg, { turns: [{ text: 'MANUAL SUMMARY' }] }))
        : new ScriptedLLM(cfg, { turns: [{ tool_calls: [{ name: 'think', arguments: { thought: 'a' } }] }, { tool_calls: [{ name: 'think', arguments: { thought: 'b' } }] }, { text: 'done' }] }),
    });
    open.push(conv);
    await conv.sendMessage('go');
    expect(await conv.run()).toBe('finished');
    await conv.condense();
    expect(kinds(conv.events()).slice(-3)).toEqual(['CondensationRequest', 'State:stats', 'Condensation']);
    expect(condenser!.player.requests).toHaveLength(1);
    const { conv: plain } = await start({ turns: [{ text: 'x' }] });
    await expect(plain.condense()).rejects.toThrow(/no LLMSummarizingCondenser/);
  });
});

describe('context-window overflow', () => {
  it('with a condenser, a context-length error triggers a condensation and the run goes on', async () => {
    const conv = await LocalConversation.create({
      agent: agentSpec({ condenser: { kind: 'LLMSummarizingCondenser', llm: { model: 'scripted/c', usage_id: 'condenser' }, max_size: 100, keep_first: 1 } }),
      workspace: ws,
      llmFactory: (cfg) => cfg.usage_id === 'condenser'
        ? new ScriptedLLM(cfg, { turns: [{ text: 'SHORTER' }] })
        : new ScriptedLLM(cfg, { turns: [
          { tool_calls: [{ name: 'think', arguments: { thought: 'a' } }] },
          { error: { status: 400, message: "This model's maximum context length is 8192 tokens" } },
          { text: 'done' },
        ] }),
    });
    open.push(conv);
    await conv.sendMessage('go');
    expect(await conv.run()).toBe('finished');
    expect(kinds(conv.events())).toEqual(expect.arrayContaining(['CondensationRequest', 'Condensation']));
    expect(kinds(conv.events())).not.toContain('ConversationErrorEvent');
  });
});

describe('bad input', () => {
  it('rejects unknown tool names and a missing model, naming the field', async () => {
    await expect(LocalConversation.create({ agent: agentSpec({ tools: [{ name: 'terminal' }, { name: 'browser_magic' }] }), workspace: ws }))
      .rejects.toThrow(/tools\[1\]\.name: unknown tool "browser_magic"/);
    await expect(LocalConversation.create({ agent: { llm: {} } as AgentSpecInput, workspace: ws })).rejects.toThrow(/llm\.model/);
    await expect(LocalConversation.create({ agent: { llm: { model: 'warp/x' } }, workspace: ws })).rejects.toThrow(/unknown provider "warp"/);
    await expect(LocalConversation.create({ agent: agentSpec(), workspace: 'relative/dir', llmFactory: (c) => new ScriptedLLM(c, { turns: [{ text: 'x' }] }) }))
      .rejects.toThrow(/absolute/);
    expect(existsSync(store)).toBe(false);
  });

  it('malformed tool arguments and unknown tools from the model become AgentErrorEvents the model sees', async () => {
    const { conv, llm } = await start({
      turns: [
        { tool_calls: [{ name: 'terminal', arguments: '{"command": "ls"' }, { name: 'teleport', arguments: {} }, { name: 'file_editor', arguments: { command: 'explode', path: '/x' } }] },
        { text: 'I will stop.', expect_tool_result_contains: 'not valid JSON' },
      ],
    });
    await conv.sendMessage('go');
    expect(await conv.run()).toBe('finished');
    const errors = conv.events().filter((e) => e.kind === 'AgentErrorEvent').map((e) => (e.kind === 'AgentErrorEvent' ? e.error : ''));
    expect(errors).toHaveLength(3);
    expect(errors[0]).toContain('not valid JSON');
    expect(errors[1]).toContain("Tool 'teleport' not found");
    expect(errors[2]).toContain('command');
    const actions = conv.events().filter((e) => e.kind === 'ActionEvent');
    expect(actions.every((a) => a.kind === 'ActionEvent' && a.action == null)).toBe(true);
    expect(llm().player.violations).toEqual([]);
    const req = llm().player.requests[1]!;
    expect(req.filter((m) => m.role === 'tool')).toHaveLength(3);
  });

  it('a tool failure is an observation and the loop goes on', async () => {
    const { conv } = await start({
      turns: [
        { tool_calls: [{ name: 'file_editor', arguments: { command: 'view', path: '/definitely/not/here' } }] },
        { tool_calls: [{ name: 'terminal', arguments: { command: 'exit 7' } }], expect_tool_result_contains: 'does not exist' },
        { text: 'ok', expect_tool_result_contains: 'exit' },
      ],
    });
    await conv.sendMessage('go');
    expect(await conv.run()).toBe('finished');
    const obs = conv.events().filter((e) => e.kind === 'ObservationEvent');
    expect(obs[0]?.kind === 'ObservationEvent' && obs[0].observation.is_error).toBe(true);
  });

  it('LLM errors: 429s are retried; a non-retryable error ends the run with a ConversationErrorEvent; the conversation can go on', async () => {
    const { conv, llm } = await start({
      turns: [
        { error: { status: 429, message: 'slow down' } },
        { error: { status: 503, message: 'overloaded' } },
        { tool_calls: [{ name: 'think', arguments: { thought: 'ok' } }] },
        { error: { status: 400, message: 'context too long' } },
        { text: 'recovered' },
      ],
    });
    await conv.sendMessage('go');
    expect(await conv.run()).toBe('error');
    const err = conv.events().find((e) => e.kind === 'ConversationErrorEvent');
    expect(err?.kind === 'ConversationErrorEvent' && err.code).toBe('LLMBadRequestError');
    expect(err?.kind === 'ConversationErrorEvent' && err.detail).toContain('context too long');
    expect(llm().player.requests).toHaveLength(4);
    expect(await conv.run()).toBe('finished');
  });

  it('API keys and secrets never appear in events, on disk or in logs', async () => {
    const apiKey = 'sk-test-SUPERSECRETKEY-1234567890';
    const lines: string[] = [];
    const logger = { debug: (o: object, m?: string) => lines.push(JSON.stringify(o) + (m ?? '')), info: (o: object, m?: string) => lines.push(JSON.stringify(o) + (m ?? '')), warn: (o: object, m?: string) => lines.push(JSON.stringify(o) + (m ?? '')), error: (o: object, m?: string) => lines.push(JSON.stringify(o) + (m ?? '')) };
    const { conv } = await start(
      {
        turns: [
          { tool_calls: [{ name: 'terminal', arguments: { command: 'echo "token=$DEPLOY_TOKEN"' } }] },
          { tool_calls: [{ name: 'terminal', arguments: { command: `echo ${apiKey}` } }] },
          { error: { status: 400, message: `bad key ${apiKey}` } },
        ],
      },
      { agent: agentSpec({ llm: { model: 'scripted/test', api_key: apiKey, ...FAST } }), secrets: { DEPLOY_TOKEN: 'hunter2-deploy' }, logger },
    );
    const live: string[] = [];
    conv.subscribe((e) => live.push(JSON.stringify(e)));
    await conv.sendMessage('go');
    expect(await conv.run()).toBe('error');
    const obs = conv.events().filter((e) => e.kind === 'ObservationEvent').map((e) => JSON.stringify(e));
    expect(obs[0]).toContain('token=<secret-hidden>');
    const disk = readdirSync(join(store, conv.id.replaceAll('-', '')), { recursive: true, withFileTypes: true })
      .filter((d) => d.isFile()).map((d) => readFileSync(join(d.parentPath, d.name), 'utf8')).join('\n');
    const all = [JSON.stringify(conv.events()), ...live, disk, lines.join('\n'), JSON.stringify(conv.stateDump())].join('\n');
    expect(lines.length).toBeGreaterThan(0);
    expect(all).not.toContain(apiKey);
    expect(all).not.toContain('hunter2-deploy');
    expect(JSON.stringify(conv.stateDump())).toContain('"api_key":"**********"');
  });

  it('refuses run before any message, oversized and malformed messages, and leaves state intact', async () => {
    const { conv } = await start({ turns: [{ text: 'hi' }] });
    await expect(conv.run()).rejects.toThrow(/send a message/);
    await expect(conv.sendMessage('x'.repeat(1_000_001))).rejects.toThrow(/limit/);
    await expect(conv.sendMessage({ role: 'assistant', content: [] })).rejects.toThrow(/role/);
    await expect(conv.sendMessage({ role: 'user', content: [{ type: 'text' }] } as never)).rejects.toThrow(/invalid message/);
    expect(conv.events()).toHaveLength(0);
    expect(conv.status).toBe('idle');
    await conv.sendMessage('ok');
    expect(await conv.run()).toBe('finished');
  });

  it('the scripted model is selected by config, its script read from a YAML file', async () => {
    const file = join(root, 'script.yaml');
    writeFileSync(file, 'turns:\n  - tool_calls:\n      - name: terminal\n        arguments: {command: "echo from-yaml > y.txt"}\n  - text: done\n');
    const conv = await LocalConversation.create({ agent: { llm: { model: 'scripted/yaml', base_url: file }, tools: [{ name: 'terminal' }] }, workspace: ws });
    open.push(conv);
    await conv.sendMessage('go');
    expect(await conv.run()).toBe('finished');
    expect(readFileSync(join(ws, 'y.txt'), 'utf8')).toBe('from-yaml\n');
    await expect(LocalConversation.create({ agent: { llm: { model: 'scripted/none', base_url: join(root, 'missing.yaml') } }, workspace: ws }))
      .rejects.toThrow(/scripted model/);
  });

  it('a message while actions wait rejects them; waiting actions run when the policy no longer asks', async () => {
    const { conv, llm } = await start(
      {
        turns: [
          { tool_calls: [{ name: 'terminal', arguments: { command: 'touch one' } }] },
          { tool_calls: [{ name: 'terminal', arguments: { command: 'touch two' } }], expect_tool_result_contains: 'instead of confirming' },
          { text: 'done', expect_tool_result_contains: 'exit code 0' },
        ],
      },
      { confirmation_policy: { kind: 'AlwaysConfirm' } },
    );
    await conv.sendMessage('go');
    expect(await conv.run()).toBe('waiting_for_confirmation');
    await conv.sendMessage('actually, do something else');
    expect(conv.status).toBe('idle');
    expect(await conv.run()).toBe('waiting_for_confirmation');
    await conv.pause(); // as OpenHands: only idle or running conversations pause
    expect(conv.status).toBe('waiting_for_confirmation');
    await conv.setConfirmationPolicy({ kind: 'NeverConfirm' });
    expect(await conv.run()).toBe('finished');
    expect(existsSync(join(ws, 'one'))).toBe(false);
    expect(existsSync(join(ws, 'two'))).toBe(true);
    expect(llm().player.violations).toEqual([]);
  });
});

