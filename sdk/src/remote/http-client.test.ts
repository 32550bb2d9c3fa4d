import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { AgentWorkspaceError } from '../errors.js';
import {
  AuthenticationError, BadRequestError, ConflictError, ConnectionError, NotFoundError, ServerError, TimeoutError,
} from './errors.js';
import { HttpClient } from './http-client.js';

/** An injected fetch that answers from a queue and records each call. */
function testFetch(answers: (Response | Error | (() => Promise<Response>))[]) {
  const calls: { url: string; method: string; headers: Record<string, string>; body: unknown }[] = [];
  const impl = (async (input: string | URL | Request, init?: RequestInit) => {
    calls.push({ url: String(input), method: init?.method ?? 'GET', headers: init?.headers as Record<string, string>, body: init?.body });
    const next = answers.shift();
    if (next === undefined) throw new Error('no more answers');
    if (next instanceof Error) throw next;
    return typeof next === 'function' ? next() : next;
  }) as typeof fetch;
  return { impl, calls };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

const client = (f: typeof fetch, extra: Partial<ConstructorParameters<typeof HttpClient>[0]> = {}) =>
  new HttpClient({ url: 'http://server.test/', sessionApiKey: 'k', fetch: f, random: () => 0, ...extra });

describe('HttpClient', () => {
  it('sends the session key and query, parses the body with the schema', async () => {
    const f = testFetch([json(200, { id: 'abc', extra: 1 })]);
    const body = await client(f.impl).request('GET', '/api/x', { query: { a: 1, b: undefined }, schema: z.looseObject({ id: z.string() }) });
    expect(body).toEqual({ id: 'abc', extra: 1 });
    expect(f.calls[0]).toMatchObject({ url: 'http://server.test/api/x?a=1', headers: { 'X-Session-API-Key': 'k' } });
  });

  it.each([
    [400, BadRequestError], [401, AuthenticationError], [403, AuthenticationError], [404, NotFoundError], [409, ConflictError],
    [413, BadRequestError], [422, BadRequestError], [429, ServerError], [500, ServerError], [503, ServerError],
  ])('maps status %i to its class, under AgentWorkspaceError, with the detail and what to do', async (status, cls) => {
    const f = testFetch([json(status, { detail: 'said the server' })]);
    const err = await client(f.impl, { maxRetries: 0 }).request('POST', '/api/y').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(cls);
    expect(err).toBeInstanceOf(AgentWorkspaceError);
    expect(err).toMatchObject({ status, detail: 'said the server' });
    expect((err as Error).message).toMatch(/^POST \/api\/y: \d{3} said the server\. [A-Z]/);
  });

  it('renders a 422 list as field: message', async () => {
    const f = testFetch([json(422, { detail: [{ loc: ['body', 'agent', 'llm'], msg: 'Field required', type: 'missing' }] })]);
    await expect(client(f.impl).request('POST', '/api/conversations')).rejects.toThrow('body.agent.llm: Field required');
  });

  it('retries an idempotent call after 5xx and connection errors, then succeeds', async () => {
    const f = testFetch([json(503, { detail: 'busy' }), new TypeError('fetch failed'), json(200, { ok: true })]);
    expect(await client(f.impl).request('GET', '/api/z')).toEqual({ ok: true });
    expect(f.calls).toHaveLength(3);
  });

  it('gives up after maxRetries with the last error', async () => {
    const f = testFetch([json(500, { detail: 'a' }), json(500, { detail: 'b' }), json(500, { detail: 'c' })]);
    await expect(client(f.impl, { maxRetries: 2 }).request('GET', '/api/z')).rejects.toMatchObject({ name: 'ServerError', detail: 'c' });
    expect(f.calls).toHaveLength(3);
  });

  it('never retries a call that is not idempotent (POST), nor a 4xx', async () => {
    const post = testFetch([json(503, { detail: 'busy' })]);
    await expect(client(post.impl).request('POST', '/api/run')).rejects.toBeInstanceOf(ServerError);
    expect(post.calls).toHaveLength(1);
    const missing = testFetch([json(404, { detail: 'gone' })]);
    await expect(client(missing.impl).request('GET', '/api/thing')).rejects.toBeInstanceOf(NotFoundError);
    expect(missing.calls).toHaveLength(1);
    const marked = testFetch([new TypeError('fetch failed'), json(200, { success: true })]);
    expect(await client(marked.impl).request('POST', '/api/create', { idempotent: true })).toEqual({ success: true });
  });

  it('a refused connection is a ConnectionError naming the URL; a slow server a TimeoutError', async () => {
    const refused = testFetch([new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED') })]);
    await expect(client(refused.impl, { maxRetries: 0 }).request('GET', '/a')).rejects.toThrow(/cannot reach http:\/\/server\.test \(connect ECONNREFUSED\)/);
    const slow = testFetch([]);
    const hang = (async (_input: string | URL | Request, init?: RequestInit) => new Promise<Response>((_resolve, reject) => {
      init?.signal?.addEventListener('abort', () => reject(init.signal?.reason));
    })) as typeof fetch;
    const err = await client(hang, { maxRetries: 0, timeoutMs: 20 }).request('GET', '/slow').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as Error).message).toContain('raise timeoutMs');
    expect(slow.calls).toHaveLength(0);
    expect(new ConnectionError('x')).toBeInstanceOf(AgentWorkspaceError);
  });

  it('honours Retry-After within the cap', async () => {
    const f = testFetch([json(429, { detail: 'slow down' }, { 'retry-after': '0' }), json(200, [])]);
    expect(await client(f.impl).request('GET', '/api/list')).toEqual([]);
    expect(f.calls).toHaveLength(2);
  });

  it('an answer that is not the expected shape is a ServerError naming the field', async () => {
    const f = testFetch([json(200, { id: 5 })]);
    await expect(client(f.impl).request('GET', '/api/x', { schema: z.object({ id: z.string() }) })).rejects.toThrow(/unexpected answer \(id: /);
  });
});
