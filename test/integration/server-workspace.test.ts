// A conversation's workspace as a static web server (OpenHands 1.58): files with their content type, a
// directory's index.html, confinement to the workspace, and the workspace cookie that only these routes honour.
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { type TestServer, call, startServer } from '../support/server.js';
import { scratchDir } from './conversations-harness.js';

jest.setTimeout(60_000);

describe('the workspace static server', () => {
  let server: TestServer;
  let id: string;
  let base: string;
  beforeAll(async () => {
    server = await startServer();
    const dir = scratchDir('static');
    writeFileSync(join(dir, 'index.html'), '<h1>report</h1>');
    mkdirSync(join(dir, 'plots'));
    writeFileSync(join(dir, 'plots', 'data.json'), '{"x":1}');
    mkdirSync(join(dir, 'empty'));
    symlinkSync('/etc', join(dir, 'escape'));
    const created = await call<{ id: string }>(server, 'POST', '/api/conversations', {
      json: { agent: { kind: 'Agent', llm: { model: 'openai/unused', api_key: 'sk-x' }, tools: [] }, workspace: { kind: 'LocalWorkspace', working_dir: dir } },
    });
    id = created.body.id;
    base = `/api/conversations/${id}/workspace`;
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('serves files with their content type and a directory\'s index.html', async () => {
    const root = await call(server, 'GET', base);
    expect([root.status, root.headers.get('content-type'), root.body]).toEqual([200, 'text/html; charset=utf-8', '<h1>report</h1>']);
    expect((await call(server, 'GET', `${base}/`)).body).toBe('<h1>report</h1>');
    const data = await call(server, 'GET', `${base}/plots/data.json`);
    expect([data.status, data.body]).toEqual([200, { x: 1 }]);
  });

  it('answers 404 for missing files, directories without index.html and unknown conversations; 400 outside the workspace', async () => {
    expect(await call(server, 'GET', `${base}/nope.txt`)).toMatchObject({ status: 404, body: { detail: 'File not found' } });
    expect(await call(server, 'GET', `${base}/empty`)).toMatchObject({ status: 404, body: { detail: 'No index.html in directory' } });
    const unknown = '00000000-0000-4000-8000-000000000000';
    expect(await call(server, 'GET', `/api/conversations/${unknown}/workspace/x`)).toMatchObject({ status: 404, body: { detail: `Conversation not found: ${unknown}` } });
    expect((await call(server, 'GET', '/api/conversations/not-a-uuid/workspace/x')).status).toBe(422);
    expect(await call(server, 'GET', `${base}/escape/hostname`)).toMatchObject({ status: 400, body: { detail: 'Path is outside the workspace' } });
    expect(await call(server, 'GET', `${base}/..%2F..%2Fetc%2Fhostname`)).toMatchObject({ status: 400, body: { detail: 'Path is outside the workspace' } });
  });

  it('accepts the workspace cookie from POST /api/auth/workspace-session on these routes only', async () => {
    expect((await call(server, 'GET', base, { key: null })).status).toBe(401);
    expect((await call(server, 'POST', '/api/auth/workspace-session', { key: null })).status).toBe(401);
    const minted = await call(server, 'POST', '/api/auth/workspace-session');
    expect(minted.status).toBe(204);
    const setCookie = minted.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(new RegExp(`^oh_workspace_session_key=${server.key}; Max-Age=315360000; Path=/api/conversations; Expires=[^;]+; HttpOnly; Secure; Partitioned; SameSite=None$`));
    const cookie = { Cookie: `oh_workspace_session_key=${server.key}` };
    expect((await call(server, 'GET', base, { key: null, headers: cookie })).status).toBe(200);
    expect((await call(server, 'GET', `/api/conversations/${id}`, { key: null, headers: cookie })).status).toBe(401);
    expect((await call(server, 'GET', base, { key: null, headers: { Cookie: 'oh_workspace_session_key=wrong' } })).status).toBe(401);
    const cleared = await call(server, 'DELETE', '/api/auth/workspace-session');
    expect([cleared.status, cleared.headers.get('set-cookie')]).toEqual([204, expect.stringMatching(/^oh_workspace_session_key=; Path=\/api\/conversations; Expires=Thu, 01 Jan 1970/)]);
  });
});
