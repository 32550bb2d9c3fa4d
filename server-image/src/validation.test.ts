import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { ValidationError } from './errors.js';
import { parseOrThrow } from './validation.js';

describe('parseOrThrow', () => {
  const detail = (schema: z.ZodType, value: unknown, source: 'body' | 'query' = 'body') => {
    try {
      parseOrThrow(schema, value, source);
    } catch (err) {
      expect(err).toBeInstanceOf(ValidationError);
      return (err as ValidationError).issues;
    }
    throw new Error('parsed');
  };

  it('tells a missing field from a field of the wrong type, naming the expected type', () => {
    const schema = z.object({ agent: z.object({ kind: z.string() }), tags: z.array(z.string()), run: z.boolean(), parent: z.null() });
    expect(detail(schema, { agent: 'gpt', tags: 'a', run: 'yes', parent: 1 })).toEqual([
      { loc: ['body', 'agent'], msg: 'Input should be a valid dictionary', type: 'dict_type', input: 'gpt' },
      { loc: ['body', 'tags'], msg: 'Input should be a valid list', type: 'list_type', input: 'a' },
      { loc: ['body', 'run'], msg: 'Input should be a valid boolean', type: 'bool_type', input: 'yes' },
      { loc: ['body', 'parent'], msg: 'Input should be None', type: 'none_required', input: 1 },
    ]);
    expect(detail(schema, { agent: null, tags: [], run: true, parent: null })).toEqual([
      { loc: ['body', 'agent'], msg: 'Input should be a valid dictionary', type: 'dict_type', input: null },
    ]);
    expect(detail(schema, { tags: [], run: true, parent: null })).toEqual([
      { loc: ['body', 'agent'], msg: 'Field required', type: 'missing', input: { tags: [], run: true, parent: null } },
    ]);
    expect(detail(schema, { agent: {}, tags: [], run: true, parent: null })).toEqual([
      { loc: ['body', 'agent', 'kind'], msg: 'Field required', type: 'missing', input: {} },
    ]);
  });

  it('maps bounds, enums, formats, unions and extra keys to FastAPI types', () => {
    const schema = z.object({
      limit: z.coerce.number().int().gt(0).lte(100),
      name: z.string().min(2).max(3),
      ids: z.array(z.string()).max(1),
      order: z.enum(['ASC', 'DESC']),
      kind: z.literal('LocalWorkspace'),
      id: z.uuid(),
      policy: z.discriminatedUnion('kind', [z.object({ kind: z.literal('A') }), z.object({ kind: z.literal('B') })]),
    }).strict();
    const types = (value: unknown) => (detail(schema, value) as { loc: unknown[]; type: string }[]).map((d) => [d.loc.slice(1).join('.'), d.type]);
    expect(types({ limit: 'abc', name: 'x', ids: ['a', 'b'], order: 'UP', kind: 'Docker', id: 'nope', policy: { kind: 'C' }, extra: 1, more: 2 })).toEqual([
      ['limit', 'float_parsing'], ['name', 'string_too_short'], ['ids', 'too_long'], ['order', 'enum'], ['kind', 'literal_error'],
      ['id', 'uuid_parsing'], ['policy.kind', 'union_tag_invalid'], ['extra', 'extra_forbidden'], ['more', 'extra_forbidden'],
    ]);
    const ok = { name: 'ab', ids: [], order: 'ASC', kind: 'LocalWorkspace', id: '00000000-0000-0000-0000-000000000000', policy: { kind: 'A' } };
    expect(detail(schema, { ...ok, limit: '0' }, 'query')).toEqual([{ loc: ['query', 'limit'], msg: 'Input should be greater than 0', type: 'greater_than', input: '0', ctx: { gt: 0 } }]);
    expect(detail(schema, { ...ok, limit: '101', order: 'UP' }, 'query')).toEqual([
      { loc: ['query', 'limit'], msg: 'Input should be less than or equal to 100', type: 'less_than_equal', input: '101', ctx: { le: 100 } },
      { loc: ['query', 'order'], msg: "Input should be 'ASC' or 'DESC'", type: 'enum', input: 'UP', ctx: { expected: "'ASC' or 'DESC'" } },
    ]);
  });

  it("keeps a schema's own message, and redacts secrets from the input it echoes (OpenHands' sanitize_dict)", () => {
    const schema = z.object({
      kind: z.literal('LocalWorkspace', { error: 'Only LocalWorkspace is supported' }),
      api_key: z.string().regex(/^sk-/),
      token: z.number(),
    });
    const issues = detail(schema, { kind: 'Docker', api_key: 'ghp_supersecret123', token: 'sk-ant-secret456' });
    expect(issues).toEqual([
      { loc: ['body', 'kind'], msg: 'Only LocalWorkspace is supported', type: 'literal_error', input: 'Docker', ctx: { expected: "'LocalWorkspace'" } },
      { loc: ['body', 'api_key'], msg: expect.any(String), type: 'string_pattern_mismatch', input: '<redacted>' },
      { loc: ['body', 'token'], msg: 'Input should be a valid number', type: 'float_type', input: '<redacted>' },
    ]);
    expect(JSON.stringify(issues)).not.toMatch(/supersecret|secret456/);
    const nested = z.object({ agent: z.object({ llm: z.object({ model: z.string() }), env: z.record(z.string(), z.string()) }) });
    const missing = detail(nested, { agent: { llm: { api_key: 'sk-hidden' }, env: { GH: 'ghp_hidden' }, session_x: 'v' } }) as { input: unknown }[];
    expect(missing[0]?.input).toEqual({ api_key: '<redacted>' });
    expect(JSON.stringify(detail(nested, { agent: { env: { GH: 'ghp_hidden' } } }))).not.toMatch(/hidden/);
  });
});
