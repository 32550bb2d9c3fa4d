import { describe, expect, it } from '@jest/globals';
import {
  EventsSocketQuerySchema, NaiveTimestampSchema, normalizeConversationId, SessionConversationIdSchema, SessionSocketQuerySchema, StartConversationRequestSchema,
} from './requests.js';

describe('request contracts', () => {
  it('accepts both workspace dialects and normalizes ids', () => {
    const base = { agent: { llm: { model: 'm' } } };
    const py = StartConversationRequestSchema.parse({ ...base, workspace: { kind: 'LocalWorkspace', working_dir: '/w' }, stuck_detection_thresholds: {} });
    const ts = StartConversationRequestSchema.parse({ ...base, workspace: { type: 'local', working_dir: '/w' }, conversation_id: 'C0FFEE0012344ABC8DEF0123456789AB' });
    expect(py.workspace).toEqual({ kind: 'LocalWorkspace', working_dir: '/w' });
    expect(ts.workspace).toEqual(py.workspace);
    expect(ts.conversation_id).toBe('c0ffee00-1234-4abc-8def-0123456789ab');
    expect(normalizeConversationId('nope')).toBeUndefined();
    expect(StartConversationRequestSchema.safeParse({ ...base, workspace: { type: 'docker', working_dir: '/w' } }).success).toBe(false);
  });

  it('reads naive timestamps as they are and converts zoned ones to server-local naive time', () => {
    expect(NaiveTimestampSchema.parse('2026-08-22T16:34:54')).toBe('2026-08-22T16:34:54.000000');
    expect(NaiveTimestampSchema.parse('2026-08-22T16:34:54.1234567')).toBe('2026-08-22T16:34:54.123456');
    const zoned = NaiveTimestampSchema.parse('2026-08-22T16:34:54.123456Z');
    const local = new Date(Date.UTC(2026, 7, 22, 16, 34, 54, 123));
    const p = (n: number, w = 2) => String(n).padStart(w, '0');
    expect(zoned).toBe(`${local.getFullYear()}-${p(local.getMonth() + 1)}-${p(local.getDate())}T${p(local.getHours())}:${p(local.getMinutes())}:${p(local.getSeconds())}.123456`);
    expect(NaiveTimestampSchema.safeParse('yesterday').success).toBe(false);
  });

  it('reads the events socket query', () => {
    expect(EventsSocketQuerySchema.parse({})).toEqual({ replay: 'none' });
    expect(EventsSocketQuerySchema.parse({ resend_all: 'true' })).toEqual({ replay: 'all' });
    expect(EventsSocketQuerySchema.parse({ resend_mode: 'since', after_timestamp: '2026-01-01T00:00:00' })).toEqual({ replay: 'since', after: '2026-01-01T00:00:00.000000' });
    expect(EventsSocketQuerySchema.safeParse({ resend_mode: 'since' }).success).toBe(false);
  });
});

describe('session socket parameters (as FastAPI and pydantic parse them; the official server was asked each)', () => {
  const id = 'f44ba4e9-d545-4ec7-ba5f-8f21014183f0';
  it.each([
    [id, id], [id.replaceAll('-', ''), id], [id.toUpperCase(), id], [`{${id}}`, id], [`urn:uuid:${id}`, id],
    ['not-a-uuid', undefined], [`${id}/`, undefined], ['', undefined],
  ])('path id %j → %j', (raw, expected) => {
    const parsed = SessionConversationIdSchema.safeParse(raw);
    expect(parsed.success ? parsed.data : undefined).toBe(expected);
  });

  it.each([
    ['5', 5n], ['-1', -1n], ['5.0', 5n], [' 5', 5n], ['+5', 5n], ['1_0', 10n], ['-0', 0n],
    ['9999999999999999999999', 9999999999999999999999n],
    ['1e3', undefined], ['', undefined], ['0x10', undefined], ['1.5', undefined], ['true', undefined], ['\u0663', undefined],
  ])('after_seq %j → %s', (raw, expected) => {
    const parsed = SessionSocketQuerySchema.safeParse({ after_seq: raw });
    expect(parsed.success ? parsed.data.after_seq : undefined).toBe(expected);
  });
});
