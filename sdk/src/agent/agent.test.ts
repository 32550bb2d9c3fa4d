import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalConversation } from '../conversation/local-conversation.js';
import type { LLMConfig } from '../llm/config.js';
import { assistantMessage, emptyUsage, type CompletionRequest, type LLM } from '../llm/types.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A model that records each request's tools and answers with one tool call. */
function recordingLLM(config: LLMConfig, seen: CompletionRequest['tools'][], call: { name: string; arguments: Record<string, unknown> }): LLM {
  return {
    config,
    complete: async (request) => {
      seen.push(request.tools);
      return { id: 'r1', usage: emptyUsage(), latency_ms: 1, message: assistantMessage('', [{ id: 'c1', name: call.name, arguments: JSON.stringify(call.arguments), origin: 'completion' }]) };
    },
  };
}

async function runOnce(policy: unknown, call: { name: string; arguments: Record<string, unknown> }) {
  const root = mkdtempSync(join(tmpdir(), 'agent-risk-'));
  dirs.push(root);
  const seen: CompletionRequest['tools'][] = [];
  const conv = await LocalConversation.create({
    agent: { llm: { model: 'recording/test', usage_id: 'agent', num_retries: 0 }, tools: [{ name: 'terminal' }, { name: 'file_editor' }, { name: 'task_tracker' }] },
    workspace: join(root, 'ws'),
    confirmation_policy: policy as never,
    max_iterations: 1,
    llmFactory: (cfg) => recordingLLM(cfg, seen, call),
  });
  try {
    await conv.sendMessage('go');
    await conv.run();
    const action = conv.events().find((e) => e.kind === 'ActionEvent');
    return { tools: seen[0] ?? [], risk: action?.kind === 'ActionEvent' ? action.security_risk : undefined };
  } finally {
    await conv.close();
  }
}

describe('the security_risk the agent offers and records (OpenHands 1.58.2)', () => {
  it('every tool that is not read-only offers an optional security_risk, whatever the policy; finish and think do not', async () => {
    const { tools } = await runOnce({ kind: 'NeverConfirm' }, { name: 'finish', arguments: { message: 'done' } });
    const offered = Object.fromEntries(tools.map((t) => [t.name, (t.parameters.properties as Record<string, unknown>).security_risk]));
    expect(Object.keys(offered).sort()).toEqual(['file_editor', 'finish', 'task_tracker', 'terminal', 'think']);
    for (const name of ['terminal', 'file_editor', 'task_tracker']) {
      expect(offered[name]).toMatchObject({ type: 'string', enum: ['UNKNOWN', 'LOW', 'MEDIUM', 'HIGH'] });
      expect(tools.find((t) => t.name === name)!.parameters.required ?? []).not.toContain('security_risk');
    }
    expect(offered.finish).toBeUndefined();
    expect(offered.think).toBeUndefined();
    expect(Object.keys(tools.find((t) => t.name === 'terminal')!.parameters.properties as object).slice(0, 2)).toEqual(['security_risk', 'summary']);
  });

  it('records the model\'s rating only when risk is rated (ConfirmRisky); otherwise UNKNOWN, as without a security analyzer', async () => {
    const call = { name: 'terminal', arguments: { command: 'true', security_risk: 'LOW' } };
    expect((await runOnce({ kind: 'NeverConfirm' }, call)).risk).toBe('UNKNOWN');
    expect((await runOnce({ kind: 'ConfirmRisky', threshold: 'HIGH' }, call)).risk).toBe('LOW');
    const finish = { name: 'finish', arguments: { message: 'done', security_risk: 'HIGH' } };
    expect((await runOnce({ kind: 'ConfirmRisky', threshold: 'HIGH' }, finish)).risk).toBe('UNKNOWN');
  });
});
