// The waiting helpers themselves: a wait on a socket that closes fails at once and says how it closed, rather
// than polling a dead socket until its timeout.
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { WebSocketServer } from 'ws';
import type { TestServer } from '../support/server.js';
import { waitFor } from '../support/wait.js';
import { EventSocket } from './conversations-harness.js';

describe('waitFor', () => {
  it('fails as soon as failOn resolves, with its sentence, long before the timeout', async () => {
    let settle!: (how: string) => void;
    const ended = new Promise<string>((resolve) => { settle = resolve; });
    const waiting = waitFor(() => false, 'a thing that never comes', { timeoutMs: 600_000, failOn: ended });
    settle('the peer went away');
    await expect(waiting).rejects.toThrow('gave up waiting for a thing that never comes: the peer went away');
  });

  it('still returns a value the probe finds after failOn resolved', async () => {
    await expect(waitFor(() => 'here', 'a present thing', { failOn: Promise.resolve('ended') })).resolves.toBe('here');
  });
});

describe('EventSocket waits', () => {
  // A WebSocket server that sends one frame and then closes every connection with 4321.
  let wss: WebSocketServer;
  let peer: TestServer;

  beforeAll(async () => {
    wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    wss.on('error', (err) => { throw err; });
    wss.on('connection', (ws) => {
      ws.on('error', () => ws.terminate());
      ws.send(JSON.stringify({ kind: 'PauseEvent', id: 'e1', timestamp: '2026-01-01T00:00:00', source: 'user' }));
      ws.close(4321, 'test close');
    });
    await once(wss, 'listening');
    peer = { url: `http://127.0.0.1:${(wss.address() as AddressInfo).port}`, key: undefined } as TestServer;
  });
  afterAll(() => new Promise<void>((resolve) => wss.close(() => resolve())));

  it('fails at once with the close code when the socket closes before the awaited frame', async () => {
    const socket = new EventSocket(peer, 'any');
    const error = await socket.waitForSnapshot(['finished']).then(() => undefined, (err: Error) => err);
    expect(error?.message).toMatch(/^gave up waiting for full_state snapshot finished: the socket closed with 4321 \(test close\) after 1 frames/);
    expect(socket.frames.map((f) => f.kind)).toEqual(['PauseEvent']);
  });
});
