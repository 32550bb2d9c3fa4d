import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('defaults: loopback without keys, 0.0.0.0 in a container or with a key, port 8000, paths resolved', () => {
    const plain = loadConfig({ cwd: '/srv' });
    expect(plain).toMatchObject({ host: '127.0.0.1', port: 8000, sessionApiKeys: [], bashEventsDir: '/srv/workspace/bash_events', bashChunkBytes: 1024 * 1024 });
    expect(loadConfig({ inContainer: true }).host).toBe('0.0.0.0');
    expect(loadConfig({ env: { SESSION_API_KEY: 'k' } }).host).toBe('0.0.0.0');
    expect(loadConfig({ inContainer: true, argv: ['--host', '127.0.0.1'] }).host).toBe('127.0.0.1');
    expect(Object.isFrozen(plain)).toBe(true);
  });

  it('reads flags before env, in both --flag value and --flag=value forms', () => {
    expect(loadConfig({ argv: ['--port=9001'], env: { AGENT_SERVER_PORT: '9002' } }).port).toBe(9001);
    expect(loadConfig({ argv: ['--host', '::1', '--port', '0'] })).toMatchObject({ host: '::1', port: 0 });
    expect(loadConfig({ env: { AGENT_SERVER_PORT: '9002' } }).port).toBe(9002);
  });

  it.each([
    [{ OH_SESSION_API_KEYS: '["a","b"]' }, ['a', 'b']],
    [{ OH_SESSION_API_KEYS_0: 'x', OH_SESSION_API_KEYS_1: 'y', OH_SESSION_API_KEYS: '["ignored"]' }, ['x', 'y']],
    [{ SESSION_API_KEY: 'legacy' }, ['legacy']],
    [{ OH_SESSION_API_KEYS: '["new"]', SESSION_API_KEY: 'legacy' }, ['new']],
    [{}, []],
  ])('session keys from %j', (env, keys) => {
    expect(loadConfig({ env }).sessionApiKeys).toEqual(keys);
  });

  it.each([
    [['--port', '65536'], {}, /--port: Too big/],
    [[], { AGENT_SERVER_PORT: 'eighty' }, /AGENT_SERVER_PORT: .*expected number/],
    [[], { OH_SESSION_API_KEYS: 'not json' }, /OH_SESSION_API_KEYS: .*expected array/],
    [[], { OH_SESSION_API_KEYS: '[""]' }, /OH_SESSION_API_KEYS\[0\]: Too small/],
    [[], { AGENT_SERVER_MAX_UPLOAD_BYTES: '0' }, /AGENT_SERVER_MAX_UPLOAD_BYTES: Too small/],
    [[], { AGENT_SERVER_BASH_CHUNK_BYTES: String(2 * 1024 * 1024) }, /AGENT_SERVER_BASH_CHUNK_BYTES: Too big/],
    [[], { AGENT_SERVER_FILE_ROOTS: '["rel"]' }, /AGENT_SERVER_FILE_ROOTS\[0\]: must be an absolute path/],
    [[], { LOG_LEVEL: 'loud' }, /LOG_LEVEL: /],
    [['--verbose'], {}, /unknown argument "--verbose"/],
    [['--port'], {}, /--port: a value is required/],
  ])('rejects %j %j naming the setting', (argv, env, message) => {
    expect(() => loadConfig({ argv, env })).toThrow(ConfigError);
    expect(() => loadConfig({ argv, env })).toThrow(message);
  });

  it('reports every invalid setting at once', () => {
    expect(() => loadConfig({ env: { AGENT_SERVER_PORT: 'x', LOG_LEVEL: 'y' } })).toThrow(/AGENT_SERVER_PORT[\s\S]*LOG_LEVEL/);
  });
});
