import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { contentText } from '../events/content.js';
import type { LLMConfig } from '../llm/config.js';
import { ScriptedLLM } from '../llm/scripted-llm.js';
import type { ScriptInput } from '../testing/script.js';
import { LocalConversation } from './local-conversation.js';
import { TITLE_SYSTEM_PROMPT } from './title.js';

const dirs: string[] = [];
const open: LocalConversation[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function start(script: ScriptInput): Promise<{ conv: LocalConversation; llm: () => ScriptedLLM }> {
  const root = mkdtempSync(join(tmpdir(), 'title-'));
  dirs.push(root);
  let llm: ScriptedLLM | undefined;
  const conv = await LocalConversation.create({
    agent: { llm: { model: 'scripted/test', usage_id: 'agent', num_retries: 0 }, tools: [] },
    workspace: join(root, 'ws'),
    secrets: { TOKEN: 'sekret-value' },
    llmFactory: (cfg: LLMConfig) => (llm = new ScriptedLLM(cfg, script)),
  });
  open.push(conv);
  return { conv, llm: () => llm! };
}

describe('LocalConversation.generateTitle', () => {
  it('asks the conversation\'s model once, without a turn, about the first user message (OpenHands prompt shape)', async () => {
    const { conv, llm } = await start({ turns: [{ text: 'unused' }], title: '✨ Add a parser and tests for it right now please, today' });
    await conv.sendMessage('Please write a parser');
    await conv.sendMessage('And a second message');
    const before = conv.events().length;
    expect(await conv.generateTitle()).toBe('✨ Add a parser and tests for it right now please, today'.slice(0, 47) + '...');
    const [request] = llm().player.titleRequests;
    expect(llm().player.titleRequests).toHaveLength(1);
    expect(llm().player.remaining).toBe(1);
    expect(request!.map((m) => m.role)).toEqual(['system', 'user']);
    expect(contentText(request![0]!.content)).toBe(TITLE_SYSTEM_PROMPT);
    const prompt = contentText(request![1]!.content);
    expect(prompt).toMatch(/^Generate a title \(maximum 50 characters\) for a conversation that starts with this message:\n\nPlease write a parser\./);
    expect(prompt).toContain('✅ test: Tests');
    expect(conv.events().slice(before).map((e) => e.kind === 'ConversationStateUpdateEvent' && e.key)).toEqual(['stats']);
  });

  it('falls back to the message cut to length when the model fails; publishErrors appends a ConversationErrorEvent', async () => {
    const { conv } = await start({ turns: [{ text: 'unused' }], title: { error: { status: 400, message: 'no titles today' } } });
    const long = 'x'.repeat(80);
    await conv.sendMessage(long);
    expect(await conv.generateTitle()).toBe(`${'x'.repeat(47)}...`);
    expect(conv.events().some((e) => e.kind === 'ConversationErrorEvent')).toBe(false);
    expect(await conv.generateTitle({ message: 'short one', publishErrors: true })).toBe('short one');
    const error = conv.events().at(-1)!;
    expect(error).toMatchObject({ kind: 'ConversationErrorEvent', source: 'environment', code: 'LLMBadRequestError' });
    expect(conv.status).toBe('idle');
  });

  it('counts the title call\'s tokens in the stats of the agent\'s model and appends a stats update (OpenHands)', async () => {
    const { conv } = await start({ turns: [{ text: 'unused' }], title: '🔧 Fix it' });
    await conv.sendMessage('fix the build');
    const before = conv.stats.usage_to_metrics.agent?.accumulated_token_usage.prompt_tokens ?? 0;
    await conv.generateTitle();
    const usage = conv.stats.usage_to_metrics.agent!.accumulated_token_usage;
    expect(usage.prompt_tokens).toBeGreaterThan(before);
    expect(conv.events().at(-1)).toMatchObject({ kind: 'ConversationStateUpdateEvent', key: 'stats', value: conv.stats });
  });

  it('titles with another model when given one (title_llm_profile), whose tokens are not counted', async () => {
    const root = mkdtempSync(join(tmpdir(), 'title-'));
    dirs.push(root);
    const models: string[] = [];
    const conv = await LocalConversation.create({
      agent: { llm: { model: 'scripted/agent', usage_id: 'agent', num_retries: 0 }, tools: [] },
      workspace: join(root, 'ws'),
      llmFactory: (cfg: LLMConfig) => {
        models.push(cfg.model);
        return new ScriptedLLM(cfg, { turns: [{ text: 'unused' }], title: cfg.model === 'scripted/cheap' ? '🪶 Cheap title' : '🐘 Agent title' });
      },
    });
    open.push(conv);
    await conv.sendMessage('write docs');
    const events = conv.events().length;
    expect(await conv.generateTitle({ llm: { model: 'scripted/cheap', usage_id: 'title' } })).toBe('🪶 Cheap title');
    expect(models).toEqual(['scripted/agent', 'scripted/cheap']);
    expect(conv.stats.usage_to_metrics).toEqual({});
    expect(conv.events()).toHaveLength(events);
  });

  it('strips inline reasoning, masks secrets, and refuses a conversation without a user message', async () => {
    const { conv } = await start({ turns: [{ text: 'unused' }], title: '<think>hmm</think> 🔒️ Rotate sekret-value' });
    await expect(conv.generateTitle()).rejects.toThrow(/no user message/);
    await conv.sendMessage('rotate the token');
    expect(await conv.generateTitle()).toBe('🔒️ Rotate <secret-hidden>');
  });
});
