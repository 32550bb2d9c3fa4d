import { describe, expect, it } from '@jest/globals';
import { parseWireEvent } from './wire-event.js';

const base = { id: 'e1', timestamp: '2026-08-22T16:34:54.123456', source: 'environment' };

describe('parseWireEvent', () => {
  it('parses a known kind with the SDK schema; persisted', () => {
    expect(parseWireEvent({ ...base, kind: 'PauseEvent', source: 'user' })).toEqual({ event: expect.objectContaining({ kind: 'PauseEvent', id: 'e1' }), persisted: true });
  });

  it('marks snapshots, token deltas and server errors as not persisted', () => {
    expect(parseWireEvent({ ...base, kind: 'ConversationStateUpdateEvent', key: 'full_state', value: { execution_status: 'idle' } })?.persisted).toBe(false);
    expect(parseWireEvent({ ...base, kind: 'ConversationStateUpdateEvent', key: 'execution_status', value: 'idle' })?.persisted).toBe(true);
    expect(parseWireEvent({ kind: 'StreamingDeltaEvent', content: 'to' })?.persisted).toBe(false);
    expect(parseWireEvent({ ...base, kind: 'ServerErrorEvent', code: 'X', detail: 'y' })?.persisted).toBe(false);
  });

  it('keeps a kind the SDK does not model (or a richer field set) as sent, once its common fields check out', () => {
    const hook = { ...base, kind: 'HookExecutionEvent', source: 'hook', hook_event_type: 'Stop', success: true };
    expect(parseWireEvent(hook)).toEqual({ event: hook, persisted: true });
    const richer = { ...base, kind: 'ConversationStateUpdateEvent', key: 'goal', value: {}, added_later: 1 };
    expect(parseWireEvent(richer)).toEqual({ event: richer, persisted: true });
  });

  it('refuses what is no event', () => {
    expect(parseWireEvent({ kind: 'Mystery' })).toBeUndefined();
    expect(parseWireEvent('text')).toBeUndefined();
    expect(parseWireEvent(null)).toBeUndefined();
  });
});
