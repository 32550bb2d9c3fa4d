// Side by side: the same official-client script (workspace-script.ts) and the same deferred-init calls against
// the official OpenHands agent server 1.58.2 and against ours. Each item of issue #17 must answer alike; what
// still differs on purpose (versions, capabilities not implemented, message wording) is listed here. Both
// results are written to .test-results/parity-side-by-side.json, the recorded run of the closing note.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it, jest } from '@jest/globals';
import { ROOT, type TestServer, call, startServer } from '../support/server.js';
import { startOfficialServer } from './official-server.js';
import { describeWithPython, runPython } from './python.js';
import { WORKSPACE_SCRIPT, workspaceScriptArg } from './workspace-script.js';

jest.setTimeout(300_000);

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const INIT_KEY = 'side-by-side-init-key';

/** The deferred-init exchange, as plain HTTP: what a warm-pool controller does. */
async function deferredInit(server: TestServer): Promise<Json> {
  const init = { 'X-Init-API-Key': INIT_KEY };
  const userKey = 'side-by-side-user-key';
  const step = async (method: string, path: string, opts: Parameters<typeof call>[3] = {}) => {
    const res = await call<Json>(server, method, path, { key: null, ...opts });
    return { status: res.status, body: res.body };
  };
  return {
    ready: await step('GET', '/ready'),
    state: await step('GET', '/api/init'),
    gated: await step('GET', '/api/bash/bash_events/search'),
    no_key: await step('POST', '/api/init', { json: {} }),
    extra: await step('POST', '/api/init', { headers: init, json: { surprise: 1 } }),
    empty_key: await step('POST', '/api/init', { headers: init, json: { session_api_keys: [''] } }),
    init: await step('POST', '/api/init', { headers: init, json: { session_api_keys: [userKey], env: { SIDE_BY_SIDE: 'yes' } } }),
    ready_after: await step('GET', '/ready'),
    unauthorized_after: await step('GET', '/api/bash/bash_events/search'),
    command_after: (await step('POST', '/api/bash/execute_bash_command', { key: userKey, json: { command: 'echo $SIDE_BY_SIDE' } })).body.stdout,
    again: await step('POST', '/api/init', { headers: init, json: {} }),
  };
}

describeWithPython('side by side: the official agent server 1.58.2 and ours, same client calls', () => {
  const servers: TestServer[] = [];
  const result: { official: Json; ours: Json } = { official: {}, ours: {} };
  beforeAll(async () => {
    const [official, ours] = await Promise.all([startOfficialServer(), startServer()]);
    servers.push(official, ours);
    // One at a time: each script takes both cores for its imports.
    result.official.workspace = await runPython<Json>(WORKSPACE_SCRIPT, workspaceScriptArg(official));
    result.ours.workspace = await runPython<Json>(WORKSPACE_SCRIPT, workspaceScriptArg(ours));
    const env = { OH_DEFERRED_INIT: 'true', OH_SECRET_KEY: INIT_KEY };
    const [officialDormant, oursDormant] = await Promise.all([startOfficialServer({ key: null, env }), startServer({ key: null, env })]);
    servers.push(officialDormant, oursDormant);
    result.official.deferred = await deferredInit(officialDormant);
    result.ours.deferred = await deferredInit(oursDormant);
    mkdirSync(join(ROOT, '.test-results'), { recursive: true });
    writeFileSync(join(ROOT, '.test-results', 'parity-side-by-side.json'), JSON.stringify(result, null, 2));
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
  });

  const both = <T>(pick: (side: Json) => T): [T, T] => [pick(result.official), pick(result.ours)];
  const same = <T>(pick: (side: Json) => T) => {
    const [official, ours] = both(pick);
    expect(ours).toEqual(official);
  };

  it('no section of the client script fails on either server', () => {
    for (const side of [result.official, result.ours]) {
      const failed = Object.entries(side.workspace as Json).filter(([, v]) => v && typeof v === 'object' && 'error' in v);
      expect(failed).toEqual([]);
    }
  });

  it('1. stop_command: same statuses, same exit code of the stopped command', () => {
    same((s) => s.workspace.stop.status);
    same((s) => s.workspace.stop.last.exit_code);
  });

  it('2. get_command_output: the same single persisted BashOutput', () => {
    same((s) => ({ ...s.workspace.background.last, id: 'x', command_id: 'x', timestamp: 'x' }));
    same((s) => s.workspace.background.events.length);
  });

  it('3. file_upload: the same FileOperationResult, file_size included', () => {
    same((s) => ({ ...s.workspace.upload.result, source_path: 'x', destination_path: 'x' }));
    same((s) => s.workspace.upload.raw);
  });

  it('4. statuses for an unknown conversation and for condense without a condenser', () => {
    same((s) => s.workspace.statuses.unknown);
    same((s) => s.workspace.statuses.condense);
  });

  it('4. 422 bodies: type, loc, msg, input and ctx', () => {
    same((s) => s.workspace.invalid.status);
    same((s) => s.workspace.invalid.detail);
  });

  it('5. /server_info: the same fields; capabilities ours a subset of the official list', () => {
    same((s) => Object.keys(s.workspace.info).sort());
    same((s) => s.workspace.info.version);
    const [official, ours] = both((s) => s.workspace.info.capabilities as string[]);
    expect(official.length).toBeGreaterThanOrEqual(12);
    for (const capability of ours) expect(official).toContain(capability);
  });

  it('5. concurrent creates of one id: the same statuses', () => {
    same((s) => s.workspace.concurrent_creates.statuses);
  });

  it('5. conversation-scoped bash, file and git routes: the same results', () => {
    same((s) => ({ ...s.workspace.runtime, stdout: 'x' }));
  });

  it('6. ConversationInfo of a new conversation: the same fields and values', () => {
    same((s) => s.workspace.conversation_info);
  });

  it('8. deferred init: the same statuses and bodies at every step', () => {
    same((s) => s.deferred);
  });
});
