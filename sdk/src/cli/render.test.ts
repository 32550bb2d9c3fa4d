import { describe, expect, it } from '@jest/globals';
import { makeEvent, type Event } from '../events/event.js';
import { captureStream } from './cli.testkit.js';
import { renderDiff, renderEvent, renderStatus } from './render.js';

const plain = captureStream(false);
const tty = captureStream(true);
const ESC = '\u001b[';

const observation = (observation: Record<string, unknown>): Event => makeEvent({
  kind: 'ObservationEvent', tool_name: 'x', tool_call_id: 'c1', action_id: 'a1', observation,
} as never);

describe('rendering events', () => {
  it('a file edit is a unified diff; a new file diffs against /dev/null', () => {
    const edit = renderDiff(plain, { path: '/w/a.txt', prev_exist: true, old_content: 'one\ntwo\n', new_content: 'one\nthree\n' });
    expect(edit.split('\n')).toEqual(['--- /w/a.txt', '+++ /w/a.txt', '@@ -1,2 +1,2 @@', ' one', '-two', '+three']);
    const created = renderDiff(plain, { path: '/w/b.txt', prev_exist: false, old_content: null, new_content: 'x\n' });
    expect(created.split('\n')).toEqual(['--- /dev/null', '+++ /w/b.txt', '@@ -1,0 +1,1 @@', '+x']);
  });

  it('is plain text off a terminal and coloured on one', () => {
    const e = observation({ kind: 'FileEditorObservation', command: 'str_replace', path: '/w/a.txt', old_content: 'a\n', new_content: 'b\n', content: [] });
    expect(renderEvent(plain, e)).not.toContain(ESC);
    expect(renderEvent(tty, e)).toContain(`${ESC}32m+b`);
    expect(renderStatus(plain, 'finished', 0)).toBe('── finished (exit 0)');
  });

  it('shows commands with their output, messages and errors; hides the system prompt and views', () => {
    const action = makeEvent({
      kind: 'ActionEvent', thought: [{ type: 'text', text: 'checking' }], tool_name: 'terminal', tool_call_id: 'c1', llm_response_id: 'r1',
      tool_call: { id: 'c1', name: 'terminal', arguments: '{}', origin: 'completion' },
      action: { kind: 'TerminalAction', command: 'ls' },
    } as never);
    expect(renderEvent(plain, action)).toBe('│ checking\n$ ls');
    expect(renderEvent(plain, observation({ kind: 'TerminalObservation', command: 'ls', exit_code: 0, content: [{ type: 'text', text: 'a\nb\n' }] }))).toBe('  a\n  b');
    expect(renderEvent(plain, observation({ kind: 'FileEditorObservation', command: 'view', path: '/w', content: [{ type: 'text', text: 'listing' }] }))).toBeUndefined();
    const message = makeEvent({ kind: 'MessageEvent', source: 'user', llm_message: { role: 'user', content: [{ type: 'text', text: 'hi' }] } } as never);
    expect(renderEvent(plain, message)).toBe('user  hi');
    const error = makeEvent({ kind: 'ConversationErrorEvent', source: 'environment', code: 'MaxIterationsReached', detail: 'too many steps' } as never);
    expect(renderEvent(plain, error)).toBe('✗ MaxIterationsReached: too many steps');
    expect(renderEvent(plain, makeEvent({ kind: 'SystemPromptEvent', system_prompt: { type: 'text', text: 'sys' }, tools: [] } as never))).toBeUndefined();
  });
});
