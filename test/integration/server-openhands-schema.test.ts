// The schema support module itself: the derived official schema accepts what the protocol allows and
// rejects extra fields, wrong kinds and missing required fields (so the other tests' checks have teeth).
import { describe, it, expect } from '@jest/globals';
import { assertMatchesSchema, schemaFor } from '../support/openhands-schema.js';

const bashOutput = {
  kind: 'BashOutput', id: 'a'.repeat(32), timestamp: '2026-01-01T00:00:00.000000', command_id: 'b'.repeat(32),
  order: 0, exit_code: 0, stdout: 'hi\n', stderr: null,
};

describe('openhands-schema support', () => {
  it('accepts a valid BashOutput and a page of bash events (the discriminated union)', () => {
    assertMatchesSchema('BashOutput', bashOutput);
    const command = { kind: 'BashCommand', id: 'c'.repeat(32), timestamp: '2026-01-01T00:00:00', command: 'ls', cwd: null, timeout: 300 };
    assertMatchesSchema('BashEventPage', { items: [command, bashOutput], next_page_id: null });
  });

  it('rejects an extra property, naming the type and the property', () => {
    expect(() => assertMatchesSchema('BashOutput', { ...bashOutput, extra: 1 })).toThrow(/BashOutput[\s\S]*additionalProperty[\s\S]*extra/);
  });

  it('rejects a wrong kind and a missing required field', () => {
    expect(() => assertMatchesSchema('BashOutput', { ...bashOutput, kind: 'BashCommand' })).toThrow(/BashOutput/);
    const { command_id: _omit, ...missing } = bashOutput;
    expect(() => assertMatchesSchema('BashOutput', missing)).toThrow(/command_id/);
    expect(() => assertMatchesSchema('BashEventPage', { items: [{ ...bashOutput, kind: 'Nope' }] })).toThrow(/BashEventPage/);
  });

  it('knows ServerInfo, GitChange, GitDiff, Success and HttpValidationError', () => {
    assertMatchesSchema('ServerInfo', { uptime: 1, idle_time: 0, version: '1.0.0' });
    assertMatchesSchema('GitChange', { path: 'a.txt', status: 'ADDED' });
    expect(() => assertMatchesSchema('GitChange', { path: 'a.txt', status: 'CHANGED' })).toThrow(/GitChange/);
    assertMatchesSchema('GitDiff', { modified: 'x', original: null });
    assertMatchesSchema('Success', { success: true });
    assertMatchesSchema('HttpValidationError', { detail: [{ loc: ['body', 'command'], msg: 'Field required', type: 'missing' }] });
  });

  it('gives a standalone schema with only the reachable definitions', () => {
    const schema = schemaFor('BashEventPage') as { $ref: string; definitions: Record<string, unknown> };
    expect(schema.$ref).toBe('#/definitions/BashEventPage');
    expect(Object.keys(schema.definitions).sort()).toEqual(['BashCommand', 'BashError', 'BashEventBase', 'BashEventPage', 'BashOutput']);
    expect(() => schemaFor('NoSuchType')).toThrow(/NoSuchType/);
  });
});
