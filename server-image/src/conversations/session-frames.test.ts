import { describe, expect, it } from '@jest/globals';
import { encodeFrame, SessionFrameSchema, syncFrame } from './session-frames.js';

describe('session frames', () => {
  it('a sync frame leaves out what it lacks and writes a bigint cursor as its exact digits', () => {
    expect(encodeFrame(syncFrame(null, null))).toBe('{"type":"sync"}');
    expect(encodeFrame(syncFrame(-1n, 4))).toBe('{"type":"sync","from_seq":-1,"through_seq":4}');
    expect(encodeFrame(syncFrame(99999999999999999999999n, 2))).toBe('{"type":"sync","from_seq":99999999999999999999999,"through_seq":2}');
  });

  it.each([
    [{ type: 'durable', seq: 3, event: { kind: 'MessageEvent', id: 'e' } }, true],
    [{ type: 'durable', event: { kind: 'MessageEvent', id: 'e' } }, false],
    [{ type: 'item_started', item_id: 'i', attempt: 1, anchor_seq: 4 }, true],
    [{ type: 'delta', item_id: 'i', attempt: 1, order: 0, kind: 'text', content: 'hi' }, true],
    [{ type: 'item_aborted', item_id: 'i', attempt: 1, reason: 'cancelled' }, true],
    [{ type: 'error', code: 'JSONDecodeError', detail: 'x', later: 'ignored' }, true],
    [{ type: 'nope' }, false],
  ])('%j parses: %s', (frame, ok) => {
    expect(SessionFrameSchema.safeParse(frame).success).toBe(ok);
  });
});
