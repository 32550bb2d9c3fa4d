import { describe, expect, it } from '@jest/globals';
import { eventFileName, fileStampFromMicros, isoFromMicros, microsFromIso, nowMicros, toHexUuid } from './events.js';

describe('bash events', () => {
  it('formats and parses microsecond timestamps', () => {
    const micros = 1_767_225_600_123_456n; // 2026-01-01T00:00:00.123456Z
    expect(isoFromMicros(micros)).toBe('2026-01-01T00:00:00.123456Z');
    expect(fileStampFromMicros(micros)).toBe('20260101000000123456');
    expect(microsFromIso('2026-01-01T00:00:00.123456Z')).toBe(micros);
    expect(microsFromIso('2026-01-01T00:00:00.123456')).toBe(micros); // naive is UTC
    expect(microsFromIso('2026-01-01T01:00:00.123456+01:00')).toBe(micros);
    expect(microsFromIso('2026-01-01T00:00:00.1234567Z')).toBe(micros);
    expect(microsFromIso('2026-01-01T00:00Z')).toBe(1_767_225_600_000_000n);
    for (const bad of ['yesterday', '2026-13-01T00:00:00Z', '', '2026-01-01']) expect(microsFromIso(bad)).toBeUndefined();
  });

  it('clock is strictly increasing, so file names sort in emission order', () => {
    const stamps = Array.from({ length: 1000 }, () => nowMicros());
    for (let i = 1; i < stamps.length; i++) expect(stamps[i]! > stamps[i - 1]!).toBe(true);
  });

  it('names files <stamp>_<Kind>[_<command>]_<id>', () => {
    const id = 'a'.repeat(32);
    const cmd = 'b'.repeat(32);
    expect(eventFileName({ kind: 'BashCommand', id, timestamp: '2026-01-01T00:00:00.000001Z', command: 'x', cwd: null, timeout: 1 }))
      .toBe(`20260101000000000001_BashCommand_${id}`);
    expect(eventFileName({ kind: 'BashOutput', id, timestamp: '2026-01-01T00:00:00.000002Z', command_id: cmd, order: 0, exit_code: null, stdout: null, stderr: null }))
      .toBe(`20260101000000000002_BashOutput_${cmd}_${id}`);
  });

  it.each([
    ['0123456789abcdef0123456789ABCDEF', '0123456789abcdef0123456789abcdef'],
    ['01234567-89ab-cdef-0123-456789abcdef', '0123456789abcdef0123456789abcdef'],
    ['0123-456789ab-cdef-0123-456789abcdef', undefined],
    ['xyz', undefined],
    ['', undefined],
  ])('toHexUuid(%s)', (input, expected) => {
    expect(toHexUuid(input)).toBe(expected);
  });
});
