import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import express from 'express';
import { z } from 'zod';
import {
  ConflictError, ForbiddenError, InvalidRequestError, NotFoundError, OperationFailedError, TooLargeError, TooManyRequestsError, UnavailableError,
  ValidationError,
} from '../errors.js';
import { createLogger } from '../log.js';
import { parseOrThrow } from '../validation.js';
import { ApiError, STATUS_BY_CODE, errorHandler, notFound } from './errors.js';

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
    app.get('/failed', async () => {
      throw new OperationFailedError('ask_agent failed for conversation c-123', { cause: new Error('model said sk-vendor-key-leak') });
    });
    app.get('/internal', () => {
      throw new ApiError('internal', 'Conversation c-456 could not be loaded: EACCES /srv/private');
    });
    const domain: Record<string, Error> = {
      'not-found': new NotFoundError('Conversation not found: x'), conflict: new ConflictError('taken'), invalid: new InvalidRequestError('no'),
      forbidden: new ForbiddenError('outside'), 'too-large': new TooLargeError('big'), unavailable: new UnavailableError('busy', 5),
      'too-many': new TooManyRequestsError('at most 1', 5),
      validation: new ValidationError([{ loc: ['body', 'x'], msg: 'Field required', type: 'missing' }]),
    };
    app.get('/domain/:kind', (req) => {
      throw domain[String(req.params.kind)];
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

  it('maps each domain error by its class to one status, its message the detail (a 503 in OpenHands\' 5xx shape)', async () => {
    const answer = async (kind: string) => {
      const res = await fetch(`${url}/domain/${kind}`);
      return [res.status, await res.json(), res.headers.get('retry-after')];
    };
    expect(await answer('not-found')).toEqual([404, { detail: 'Conversation not found: x' }, null]);
    expect(await answer('conflict')).toEqual([409, { detail: 'taken' }, null]);
    expect(await answer('invalid')).toEqual([400, { detail: 'no' }, null]);
    expect(await answer('forbidden')).toEqual([403, { detail: 'outside' }, null]);
    expect(await answer('too-large')).toEqual([413, { detail: 'big' }, null]);
    expect(await answer('too-many')).toEqual([429, { detail: 'at most 1' }, '5']);
    // OpenHands' shape for a deliberate 5xx other than 500: its message, written for the client, in `exception`
    expect(await answer('unavailable')).toEqual([503, { detail: 'Internal Server Error', exception: '503: busy' }, '5']);
    expect(await answer('validation')).toEqual([422, { detail: [{ loc: ['body', 'x'], msg: 'Field required', type: 'missing' }] }, null]);
  });

  it('answers every 500 bare, a failed operation and an internal ApiError too: the message and its cause only in the log', async () => {
    for (const [path, secrets] of [['/failed', ['c-123', 'sk-vendor-key-leak']], ['/internal', ['c-456', '/srv/private']]] as const) {
      const res = await fetch(`${url}${path}`);
      expect(res.status).toBe(500);
      const body = await res.json() as Record<string, string>;
      expect(Object.keys(body).sort()).toEqual(['detail', 'error_id']);
      expect(body.detail).toBe('Internal Server Error');
      for (const s of secrets) {
        expect(JSON.stringify(body)).not.toContain(s);
        expect(logs).toContain(s);
      }
      expect(logs).toContain(`"errorId":"${body.error_id}"`);
    }
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
});
