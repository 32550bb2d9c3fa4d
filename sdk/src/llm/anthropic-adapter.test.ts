import { describe, expect, it } from '@jest/globals';
import { text } from '../events/content.js';
import { toAnthropicMessages } from './anthropic-adapter.js';

describe('toAnthropicMessages', () => {
  it('moves system text out, puts parallel tool results in one user turn, and keeps tool_use inputs as objects', () => {
    const { system, messages } = toAnthropicMessages([
      { role: 'system', content: [text('be brief')] },
      { role: 'user', content: [text('go')] },
      {
        role: 'assistant', content: [text('two calls')],
        tool_calls: [{ id: 'a', name: 'think', arguments: '{"thought":"x"}', origin: 'completion' }, { id: 'b', name: 'terminal', arguments: '{"command":"ls"}', origin: 'completion' }],
      },
      { role: 'tool', tool_call_id: 'a', content: [text('logged')] },
      { role: 'tool', tool_call_id: 'b', content: [text('file.txt')] },
    ]);
    expect(system).toBe('be brief');
    expect(messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'go' }] },
      { role: 'assistant', content: [{ type: 'text', text: 'two calls' }, { type: 'tool_use', id: 'a', name: 'think', input: { thought: 'x' } }, { type: 'tool_use', id: 'b', name: 'terminal', input: { command: 'ls' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'a', content: 'logged' }, { type: 'tool_result', tool_use_id: 'b', content: 'file.txt' }] },
    ]);
  });
});
