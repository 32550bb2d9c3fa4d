import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import express from 'express';
import { z } from 'zod';
import { createLogger } from '../log.js';
import { ApiError, STATUS_BY_CODE, errorHandler, notFound, parseOrThrow } from './errors.js';

describe('error handling', () => {
  let url: string;
  let logs = '';
  let close: () => void;
  beforeAll(async () => {
    const log = createLogger('info', new Writable({ write(chunk, _enc, cb) { logs += chunk; cb(); } }));
    const app = express();
    app.use(express.json({ limit: 100 }));
    app.get('/api-error', () => {
      throw new ApiError('conflict', 'Conversation already running', { 'Retry-After': '1' });
    });
    app.get('/crash', async () => {
      throw new Error('internal detail /etc/secret-path');
    });
    app.post('/validate', (req, res) => {
      res.json(parseOrThrow(z.object({ name: z.string(), count: z.number().int().max(3) }), req.body, 'body'));
    });
    app.use(notFound);
    app.use(errorHandler(log));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => server.close();
  });
  afterAll(() => close());

  it('maps every code to one status', () => {
    expect(new ApiError('not_found', 'x').status).toBe(404);
    expect(Object.values(STATUS_BY_CODE)).toEqual([400, 401, 403, 404, 405, 409, 413, 422, 429, 431, 500, 503]);
  });

  it('renders ApiError as {"detail"} with its status and headers', async () => {
    const res = await fetch(`${url}/api-error`);
    expect(res.status).toBe(409);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(await res.json()).toEqual({ detail: 'Conversation already running' });
  });

  it('turns an unexpected error into a bare 500 with an error id, logging the cause but not sending it', async () => {
    const res = await fetch(`${url}/crash`);
    expect(res.status).toBe(500);
    const body = await res.json() as Record<string, string>;
    expect(Object.keys(body).sort()).toEqual(['detail', 'error_id']);
    expect(body.detail).toBe('Internal Server Error');
    expect(JSON.stringify(body)).not.toContain('secret-path');
    expect(logs).toContain(`"errorId":"${body.error_id}"`);
    expect(logs).toContain('secret-path');
  });

  it('reports validation failures as FastAPI does: 422 with type/loc/msg/input/ctx', async () => {
    const post = (body: string) => fetch(`${url}/validate`, { method: 'POST', body, headers: { 'Content-Type': 'application/json' } });
    let res = await post('{"count": 9}');
    expect(res.status).toBe(422);
    expect(await res.json()).toEqual({ detail: [
      { loc: ['body', 'name'], msg: 'Field required', type: 'missing', input: { count: 9 } },
      { loc: ['body', 'count'], msg: expect.any(String), type: 'less_than_equal', input: 9, ctx: { le: 3 } },
    ] });
    res = await post(JSON.stringify({ name: 7, count: 2.5 }));
    expect(await res.json()).toEqual({ detail: [
      { loc: ['body', 'name'], msg: 'Input should be a valid string', type: 'string_type', input: 7 },
      { loc: ['body', 'count'], msg: 'Input should be a valid integer, got a number with a fractional part', type: 'int_from_float', input: 2.5 },
    ] });
    res = await post('{oops');
    expect([res.status, await res.json()]).toEqual([422, { detail: [{ loc: ['body'], msg: 'JSON decode error', type: 'json_invalid' }] }]);
    res = await post(JSON.stringify({ name: 'x'.repeat(200), count: 1 }));
    expect([res.status, await res.json()]).toEqual([413, { detail: 'Request body too large' }]);
    res = await fetch(`${url}/nowhere`);
    expect([res.status, await res.json()]).toEqual([404, { detail: 'Not Found' }]);
  });

  describe('parseOrThrow', () => {
    const detail = (schema: z.ZodType, value: unknown, source: 'body' | 'query' = 'body') => {
      try {
        parseOrThrow(schema, value, source);
      } catch (err) {
        expect(err).toBeInstanceOf(ApiError);
        expect((err as ApiError).status).toBe(422);
        return (err as ApiError).detail;
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
});
