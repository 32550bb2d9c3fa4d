import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { WebSocket, WebSocketServer } from 'ws';
import { awaitFirstFrameAuth, handshakeAuth, isAuthControlMessage } from './auth.js';

const req = (headers: Record<string, string> = {}) => ({ headers } as unknown as IncomingMessage);
const url = (query = '') => new URL(`http://localhost/sockets/bash-events${query}`);

describe('handshakeAuth', () => {
  it.each([
    [[], url(), req(), 'accept'],
    [[], url('?session_api_key=wrong'), req(), 'accept'],
    [['k'], url('?session_api_key=k'), req(), 'accept'],
    [['k'], url('?session_api_key=wrong'), req(), 'reject'],
    [['k'], url('?session_api_key='), req(), 'reject'],
    [['k'], url(), req({ 'x-session-api-key': 'k' }), 'accept'],
    [['k'], url(), req({ 'x-session-api-key': 'nope' }), 'reject'],
    [['k'], url('?session_api_key=k'), req({ 'x-session-api-key': 'nope' }), 'accept'],
    [['k'], url(), req(), 'first-frame'],
  ])('keys %j, %s → %s', (keys, u, r, verdict) => {
    expect(handshakeAuth(keys, r, u)).toBe(verdict);
  });
});

describe('isAuthControlMessage', () => {
  it.each([
    [{ type: 'auth', session_api_key: 'k' }, true],
    [{ type: 'auth' }, true],
    [{ type: 'auth', session_api_key: 'k', command: 'ls' }, false],
    [{ command: 'ls' }, false],
    [['auth'], false],
    [null, false],
  ])('%j → %s', (data, expected) => {
    expect(isAuthControlMessage(data)).toBe(expected);
  });
});

describe('awaitFirstFrameAuth', () => {
  let wss: WebSocketServer;
  let port: number;
  const authenticated: string[] = [];
  beforeAll(async () => {
    wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise((r) => wss.once('listening', r));
    port = (wss.address() as AddressInfo).port;
    wss.on('connection', (socket, request) => {
      awaitFirstFrameAuth(socket, ['right'], () => {
        authenticated.push(request.url ?? '');
        socket.on('message', (data) => socket.send(`echo:${data.toString()}`));
      }, 200);
    });
  });
  afterAll(() => wss.close());

  const connect = async (path: string) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`);
    await new Promise((r) => ws.once('open', r));
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    return { ws, closed };
  };

  it('accepts the right key and hands over frames sent right after it', async () => {
    const { ws } = await connect('/ok');
    const reply = new Promise<string>((r) => ws.once('message', (d) => r(d.toString())));
    ws.send(JSON.stringify({ type: 'auth', session_api_key: 'right' }));
    ws.send('next');
    expect(await reply).toBe('echo:next');
    expect(authenticated).toContain('/ok');
    ws.close();
  });

  it('closes with 4001 when no frame comes before the deadline', async () => {
    const { closed } = await connect('/silent');
    expect(await closed).toBe(4001);
    expect(authenticated).not.toContain('/silent');
  });

  it('closes with 4001 on a binary frame', async () => {
    const { ws, closed } = await connect('/binary');
    ws.send(Buffer.from(JSON.stringify({ type: 'auth', session_api_key: 'right' })), { binary: true });
    expect(await closed).toBe(4001);
  });
});
