// Autotitle on the real server, as OpenHands 1.58.2: the first user message of an untitled conversation
// titles it in the background (the agent's model asked once, without tools; the message cut to 50 when that
// fails, the failure appended as a ConversationErrorEvent); the title is kept in the server's metadata and
// reported in ConversationInfo; `autotitle: false` turns it off; a title already set is kept.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it, jest } from '@jest/globals';
import { contentText, type ScriptedServer, type ScriptInput } from '@agentworkspace/sdk';
import { waitFor } from '../support/wait.js';
import {
  agentSpec, allEvents, api, createConversation, scratchDir, scriptedLLM, useServerWithModels, userMessage, waitForStatus, type Json,
} from './conversations-harness.js';

// Bounds a hang only; nothing here asserts on durations.
jest.setTimeout(90_000);

describe('conversation autotitle', () => {
  const { server } = useServerWithModels();
  const models: ScriptedServer[] = [];
  afterAll(async () => { await Promise.all(models.map((m) => m.close())); });
  const model = async (script: Partial<ScriptInput> = {}) => {
    const m = await scriptedLLM({ turns: [{ text: 'done' }], ...script } as ScriptInput);
    models.push(m);
    return m;
  };
  const titled = (id: string) => waitFor(async () => {
    const info = await api<Json>(server, 'GET', `/api/conversations/${id}`, 'ConversationInfo');
    return info.body.title as string | null;
  }, `conversation ${id} titled`);

  it('titles a conversation from its first message with the agent\'s model, once, and keeps it on disk', async () => {
    const m = await model({ title: '📝 Document the ini parser' });
    const c = await createConversation(server, {
      agent: agentSpec(m), workspace: { type: 'local', working_dir: scratchDir('title') }, initial_message: userMessage('Write docs for the ini parser'),
    });
    expect(await titled(c.id)).toBe('📝 Document the ini parser');
    await waitForStatus(server, c.id, ['finished']);
    expect(m.player.titleRequests).toHaveLength(1);
    expect(contentText(m.player.titleRequests[0]![1]!.content)).toContain('starts with this message:\n\nWrite docs for the ini parser.');
    expect(m.player.remaining).toBe(0);
    const meta = JSON.parse(readFileSync(join(server.dataDir, 'conversations', c.id.replaceAll('-', ''), 'server_meta.json'), 'utf8')) as Json;
    expect(meta.title).toBe('📝 Document the ini parser');
    // A later message does not title it again.
    await api(server, 'POST', `/api/conversations/${c.id}/events`, 'Success', { json: userMessage('and more') });
    expect((await api<Json>(server, 'GET', `/api/conversations/${c.id}`, 'ConversationInfo')).body.title).toBe('📝 Document the ini parser');
    expect(m.player.titleRequests).toHaveLength(1);
  });

  it('falls back to the message cut to 50 when the model fails, and reports the failure as a ConversationErrorEvent', async () => {
    const m = await model({ title: { error: { status: 400, message: 'no titles here' } } });
    const message = `Please ${'refactor '.repeat(10)}`;
    const c = await createConversation(server, { agent: agentSpec(m), workspace: { type: 'local', working_dir: scratchDir('title-fail') } });
    await api(server, 'POST', `/api/conversations/${c.id}/events`, 'Success', { json: userMessage(message) });
    expect(await titled(c.id)).toBe(`${message.trim().slice(0, 47)}...`);
    const error = (await allEvents(server, c.id)).find((e) => e.kind === 'ConversationErrorEvent');
    expect(error).toMatchObject({ source: 'environment', code: 'LLMBadRequestError' });
    expect(error!.detail).toContain('no titles here');
  });

  it('with autotitle false, or a title already set, the model is never asked for one', async () => {
    const m = await model({ turns: [{ text: 'one' }, { text: 'two' }] });
    const off = await createConversation(server, { agent: agentSpec(m), workspace: { type: 'local', working_dir: scratchDir('title-off') }, autotitle: false });
    await api(server, 'POST', `/api/conversations/${off.id}/events`, 'Success', { json: { ...userMessage('no title please'), run: true } });
    await waitForStatus(server, off.id, ['finished']);
    expect((await api<Json>(server, 'GET', `/api/conversations/${off.id}`, 'ConversationInfo')).body.title).toBeNull();

    const set = await createConversation(server, { agent: agentSpec(m), workspace: { type: 'local', working_dir: scratchDir('title-set') } });
    await api(server, 'PATCH', `/api/conversations/${set.id}`, 'Success', { json: { title: 'Mine' } });
    await api(server, 'POST', `/api/conversations/${set.id}/events`, 'Success', { json: { ...userMessage('keep my title'), run: true } });
    await waitForStatus(server, set.id, ['finished']);
    expect((await api<Json>(server, 'GET', `/api/conversations/${set.id}`, 'ConversationInfo')).body.title).toBe('Mine');
    expect(m.player.titleRequests).toHaveLength(0);
  });
});
