import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import express from 'express';
import { createMetrics } from '../metrics.js';
import { ServerState } from '../server-state.js';
import { serverDetailsRouter } from './server-details.js';

describe('server details routes', () => {
  let now = 1_000_000;
  const state = new ServerState(() => now);
  let url: string;
  let close: () => void;
  beforeAll(async () => {
    const app = express().use(serverDetailsRouter({
      state, serverVersion: '9.9.9', buildGitSha: 'abc', buildGitRef: 'main', runtimeIdleTimeoutSeconds: null, usableTools: () => ['terminal'],
    }, createMetrics()));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => server.close();
  });
  afterAll(() => close());

  it('/ready is 503 while starting, 200 when ready, 503 again once shutdown begins; /alive stays 200', async () => {
    let res = await fetch(`${url}/ready`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: 'initializing', message: 'Server is still initializing' });
    state.markReady();
    res = await fetch(`${url}/ready`);
    expect([res.status, await res.json()]).toEqual([200, { status: 'ready' }]);
    state.beginShutdown();
    res = await fetch(`${url}/ready`);
    expect([res.status, await res.json()]).toEqual([503, { status: 'shutting_down', message: 'Server is shutting down' }]);
    expect((await fetch(`${url}/alive`)).status).toBe(200);
  });

  it('reports uptime and idle time from the activity clock', async () => {
    now += 5_000;
    state.touch();
    now += 3_000;
    const info = await (await fetch(`${url}/server_info`)).json() as Record<string, unknown>;
    expect(info).toMatchObject({ uptime: 8, idle_time: 3, sdk_version: '9.9.9', build_git_sha: 'abc', usable_tools: ['terminal'] });
  });
});
