import { describe, expect, it } from '@jest/globals';
import { StreamSlot, type StreamProgress } from './stream-slot.js';

function slot(anchor: number | null = 4) {
  const out: StreamProgress[] = [];
  return { s: new StreamSlot(anchor, (p) => out.push(p), (t) => t.replaceAll('sekret', '<secret-hidden>')), out };
}

describe('StreamSlot (OpenHands StreamContext)', () => {
  it('starts once before the first token, orders deltas across kinds (reasoning first), masks them; a claimed event retires it', () => {
    const { s, out } = slot();
    s.onDelta({ reasoning_content: 'hmm', content: 'the sekret' });
    s.onDelta({ content: '!' });
    expect(s.claim()).toBe(s.itemId);
    expect(s.claim()).toBeUndefined();
    s.commit();
    s.close('no_durable_event');
    expect(out).toEqual([
      { type: 'item_started', item_id: s.itemId, attempt: 1, anchor_seq: 4 },
      { type: 'delta', item_id: s.itemId, attempt: 1, order: 0, kind: 'reasoning', content: 'hmm' },
      { type: 'delta', item_id: s.itemId, attempt: 1, order: 1, kind: 'text', content: 'the <secret-hidden>' },
      { type: 'delta', item_id: s.itemId, attempt: 1, order: 2, kind: 'text', content: '!' },
    ]);
  });

  it('aborts once when the step ends without the event (claimed but never appended counts as not retired)', () => {
    const { s, out } = slot(null);
    s.onDelta({ content: 'partial' });
    s.claim();
    s.close('cancelled');
    s.close('again');
    expect(out.map((p) => p.type)).toEqual(['item_started', 'delta', 'item_aborted']);
    expect(out[0]).not.toHaveProperty('anchor_seq');
    expect(out.at(-1)).toEqual({ type: 'item_aborted', item_id: s.itemId, attempt: 1, reason: 'cancelled' });
  });

  it('says nothing when nothing streamed', () => {
    const { s, out } = slot();
    s.close('no_durable_event');
    expect(out).toEqual([]);
  });
});
