import { describe, expect, it } from '@jest/globals';
import { NAIVE_TIMESTAMP, naiveTimestamp, newEventId } from './base.js';
import { EventSchema, makeEvent } from './event.js';

describe('event ids and timestamps', () => {
  it('ids are uuid4 with dashes', () => {
    expect(newEventId()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('timestamps are naive local time with microseconds, strictly increasing', () => {
    const d = new Date(2026, 7, 22, 16, 34, 54, 123);
    expect(naiveTimestamp(d)).toMatch(/^2026-08-22T16:34:54\.123\d{3}$/);
    const many = Array.from({ length: 1000 }, () => naiveTimestamp());
    many.forEach((t) => expect(t).toMatch(NAIVE_TIMESTAMP));
    for (let i = 1; i < many.length; i++) expect(many[i]! > many[i - 1]!).toBe(true);
  });

  it('fills per-kind source defaults and rejects the root sentinel as an id', () => {
    expect(makeEvent({ kind: 'PauseEvent' }).source).toBe('user');
    expect(makeEvent({ kind: 'CondensationRequest' }).source).toBe('environment');
    expect(EventSchema.safeParse({ kind: 'PauseEvent', id: '__root__' }).success).toBe(false);
    expect(EventSchema.safeParse({ kind: 'NoSuchEvent' }).success).toBe(false);
  });
});
