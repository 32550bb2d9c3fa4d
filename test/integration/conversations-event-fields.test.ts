// The event fields OpenHands 1.58.2 fills, as the real server serves them over REST (each event checked against
// the official schema): parent_id (the event tree; leaf_event_id in ConversationInfo), the last_user_message_id
// state update, ActionEvent.summary, llm_message.thinking_blocks, the terminal observation's
// full_output_save_dir and metadata.py_interpreter_path.
import { join } from 'node:path';
import { describe, expect, it, jest } from '@jest/globals';
import {
  agentSpec, allEvents, api, createConversation, scratchDir, useServerWithModels, userMessage, waitForStatus, type Json,
} from './conversations-harness.js';

// Bounds a hang only; nothing here asserts on durations.
jest.setTimeout(90_000);

describe('event fields of OpenHands 1.58.2', () => {
  const { server, llm } = useServerWithModels();

  it('are filled by the agent, its tools and the conversation', async () => {
    const model = await llm([
      { tool_calls: [{ name: 'terminal', arguments: { command: 'echo fields', summary: 'Echo a word' } }] },
      { text: 'All done.', expect_tool_result_contains: 'fields' },
    ]);
    const c = await createConversation(server, { agent: agentSpec(model), workspace: { type: 'local', working_dir: scratchDir('fields') } });
    await api(server, 'POST', `/api/conversations/${c.id}/events`, 'Success', { json: { ...userMessage('echo a word'), run: true } });
    await waitForStatus(server, c.id, ['finished']);
    const events = await allEvents(server, c.id);

    let head: string | null = null;
    for (const e of events) {
      expect({ kind: e.kind, parent_id: e.parent_id ?? null }).toEqual({ kind: e.kind, parent_id: head }); // null is left out (exclude_none)
      if (e.kind !== 'ConversationStateUpdateEvent') head = e.id;
    }
    const info = await api<Json>(server, 'GET', `/api/conversations/${c.id}`, 'ConversationInfo');
    expect(info.body.leaf_event_id).toBe(head);

    const user = events.find((e) => e.kind === 'MessageEvent' && e.source === 'user')!;
    expect(events[events.indexOf(user) + 1]).toMatchObject({ kind: 'ConversationStateUpdateEvent', key: 'last_user_message_id', value: user.id });
    expect(info.body.last_user_message_id).toBe(user.id);

    const action = events.find((e) => e.kind === 'ActionEvent')!;
    expect(action.summary).toBe('Echo a word');
    expect(action.action).not.toHaveProperty('summary');
    for (const m of events.filter((e) => e.kind === 'MessageEvent')) expect(m.llm_message.thinking_blocks).toEqual([]);

    const observation = events.find((e) => e.kind === 'ObservationEvent')!.observation;
    expect(observation.full_output_save_dir).toBe(join(server.dataDir, 'conversations', c.id.replaceAll('-', ''), 'observations'));
    expect(typeof observation.metadata.py_interpreter_path).toBe('string');
    expect(model.player.violations).toEqual([]);
  });
});
