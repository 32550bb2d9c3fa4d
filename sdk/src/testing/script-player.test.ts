import { describe, expect, it } from '@jest/globals';
import { text } from '../events/content.js';
import type { Message } from '../events/llm-message.js';
import { ScriptPlayer } from './script-player.js';

const user: Message = { role: 'user', content: [text('go')] };

describe('ScriptPlayer', () => {
  it('plays turns in order, repeats, and reports exhaustion', () => {
    const p = new ScriptPlayer({ turns: [{ text: 'a', repeat: 2 }, { error: { status: 429 } }] });
    expect(p.next([user])).toMatchObject({ kind: 'reply' });
    expect(p.next([user])).toMatchObject({ kind: 'reply' });
    expect(p.next([user])).toMatchObject({ kind: 'error', status: 429 });
    expect(() => p.next([user])).toThrow(/script exhausted/);
    expect(p.violations).toHaveLength(1);
  });

  it('requires the previous turn\'s tool results and checks expectations', () => {
    const p = new ScriptPlayer({ turns: [{ tool_calls: [{ name: 'terminal', arguments: { command: 'ls' } }] }, { text: 'ok', expect_tool_result_contains: 'file.txt' }] });
    const r = p.next([user]);
    if (r.kind !== 'reply') throw new Error('expected a reply');
    const call = r.message.tool_calls![0]!;
    expect(call.arguments).toBe('{"command":"ls"}');
    expect(() => p.next([user, r.message])).toThrow(/has no tool result/);
    expect(() => p.next([user, r.message, { role: 'tool', tool_call_id: call.id, content: [text('other')] }])).toThrow(/no tool result contains "file.txt"/);
    expect(p.next([user, r.message, { role: 'tool', tool_call_id: call.id, content: [text('file.txt')] }])).toMatchObject({ kind: 'reply' });
  });

  it('rejects invalid scripts naming the field', () => {
    expect(() => new ScriptPlayer({ turns: [{}] } as never)).toThrow(/a turn needs text, tool_calls or error/);
    expect(() => new ScriptPlayer({ turns: [] })).toThrow();
  });
});
