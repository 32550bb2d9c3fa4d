// The official Python client (openhands-sdk 1.58.2's RemoteWorkspace, and its httpx client for the routes it
// has no method for) against our server: what issue #17 found differing from the official server. The script
// (workspace-script.ts) runs once, as importing the SDK takes seconds; each test reads its part of the result.
import { afterAll, beforeAll, expect, it, jest } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type TestServer, startServer } from '../support/server.js';
import { describeWithPython, runPython } from './python.js';
import { WORKSPACE_SCRIPT, workspaceScriptArg } from './workspace-script.js';

jest.setTimeout(180_000);

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describeWithPython('the official Python client (openhands-sdk 1.58.2) against our server: RemoteWorkspace and raw routes', () => {
  let server: TestServer;
  let out: Json;
  beforeAll(async () => {
    server = await startServer();
    out = await runPython<Json>(WORKSPACE_SCRIPT, workspaceScriptArg(server));
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('1. stop_command stops a running command at once; a finished id is a success, an unknown one 404 (the client no-ops)', () => {
    expect(out.stop.seconds).toBeLessThan(5);
    expect(out.stop.last).toMatchObject({ kind: 'BashOutput', exit_code: -15 }); // killed by SIGTERM, as asyncio reports it
    expect(out.stop.status).toEqual({ finished: 200, unknown: 404, malformed: 422 });
  });

  it('2. get_command_output returns the whole output of `echo bg; sleep 0.3`: one persisted BashOutput per command', () => {
    expect(out.background.last).toMatchObject({ stdout: 'bg\n', exit_code: 0, order: 0 });
    expect(out.background.events).toHaveLength(1);
  });

  it('3. file_upload reports the size written (FileUploadResult.file_size)', () => {
    expect(out.upload.result).toMatchObject({ success: true, file_size: 1234, destination_path: join(server.dataDir, 'up', 'target.bin') });
    expect(out.upload.raw).toEqual({ success: true, file_size: 3 });
    expect(readFileSync(join(server.dataDir, 'up', 'target.bin'), 'utf8')).toBe('abc');
  });

  it('4. an unknown conversation is a 404 (DELETE, pause, interrupt, PATCH, ask_agent); condense without a condenser 409', () => {
    expect(out.statuses.unknown).toEqual({ delete: 404, pause: 404, interrupt: 404, patch: 404, ask_agent: 404 });
    expect(out.statuses.condense).toEqual({ status: 409, detail: expect.stringMatching(/^Cannot condense conversation/) });
  });

  it('4. a 422 lists type, loc, msg, input and ctx as FastAPI does, secrets redacted from the input', () => {
    expect(out.invalid.status).toBe(422);
    expect(out.invalid.detail).toEqual([
      { type: 'string_type', loc: ['body', 'command'], msg: 'Input should be a valid string', input: 7 },
      { type: 'int_from_float', loc: ['body', 'timeout'], msg: 'Input should be a valid integer, got a number with a fractional part', input: 1.5 },
    ]);
    expect(out.invalid.secret_body).toContain('<redacted>');
    expect(out.invalid.secret_body).not.toContain('sk-not-used');
  });

  it('5. /server_info validates as the official ServerInfo, version 1.58.2, advertising only implemented capabilities', () => {
    expect(out.info).toMatchObject({ version: '1.58.2', capabilities: ['conversation_runtime_routes_v1', 'idempotent_conversation_create_v1'], conversation_runtime: 'local' });
  });

  it('5. conversation_runtime_routes_v1: RemoteWorkspace(runtime_conversation_id=…) runs and uploads in that workspace only', () => {
    expect(out.runtime).toEqual({
      stdout: `${server.dataDir}\nscoped\n`, exit_code: 0, upload: { success: true, file_size: 1234 }, scoped_events_not_global: true,
      outside_path: 422, outside_cwd: 422, unknown: 404,
    });
  });

  it('5. idempotent_conversation_create_v1: concurrent creates of one id give one 201 and three 200 for the same conversation', () => {
    expect(out.concurrent_creates.statuses).toEqual([200, 200, 200, 201]);
    expect(out.concurrent_creates.ids).toEqual([out.concurrent_creates.id]);
  });
});
