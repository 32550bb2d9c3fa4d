import { describe, expect, it } from '@jest/globals';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freshEnv } from './cli.testkit.js';
import { configDir, configFile, loadConfig, readKeyFile, saveConfig } from './config.js';
import { CliError } from './errors.js';

describe('the config file', () => {
  it('lives under an absolute XDG_CONFIG_HOME, else ~/.config', () => {
    expect(configDir({ XDG_CONFIG_HOME: '/x/cfg', HOME: '/home/u' })).toBe('/x/cfg/agentws');
    expect(configDir({ XDG_CONFIG_HOME: 'relative', HOME: '/home/u' })).toBe('/home/u/.config/agentws');
    expect(configDir({ HOME: '/home/u' })).toBe('/home/u/.config/agentws');
  });

  it('is empty when missing, and written 0600 in a 0700 directory with the key file path only', () => {
    const env = freshEnv();
    expect(loadConfig(env)).toEqual({ workspaces: {} });
    saveConfig(env, { workspaces: { dev: { kind: 'url', url: 'http://127.0.0.1:8000', keyFile: '/keys/dev' } } });
    expect(statSync(configFile(env)).mode & 0o777).toBe(0o600);
    expect(statSync(configDir(env)).mode & 0o777).toBe(0o700);
    expect(loadConfig(env).workspaces.dev).toEqual({ kind: 'url', url: 'http://127.0.0.1:8000', keyFile: '/keys/dev' });
  });

  it.each([
    ['not json', 'is not JSON'],
    [JSON.stringify({ workspaces: { dev: { kind: 'url', url: 'http://x', apiKey: 'secret' } } }), 'workspaces.dev'],
    [JSON.stringify({ workspaces: { dev: { kind: 'local', dir: 'relative/dir' } } }), 'absolute path'],
    [JSON.stringify({ workspaces: { 'Bad Name': { kind: 'local', dir: '/d' } } }), 'workspaces.Bad Name'],
  ])('a bad file (%s) is a CliError naming the file and the field', (text, message) => {
    const env = freshEnv();
    mkdirSync(configDir(env), { recursive: true });
    writeFileSync(configFile(env), text);
    expect(() => loadConfig(env)).toThrow(CliError);
    expect(() => loadConfig(env)).toThrow(message);
    expect(() => loadConfig(env)).toThrow(configFile(env));
  });
});

describe('readKeyFile', () => {
  it('trims the key; warns about a world-readable file; refuses a missing or empty one', () => {
    const dir = freshEnv().HOME!;
    const file = join(dir, 'key');
    writeFileSync(file, 'k-123\n', { mode: 0o600 });
    const warnings: string[] = [];
    expect(readKeyFile(file, 'dev', (m) => warnings.push(m))).toBe('k-123');
    expect(warnings).toEqual([]);
    chmodSync(file, 0o644);
    readKeyFile(file, 'dev', (m) => warnings.push(m));
    expect(warnings[0]).toContain('world-readable');
    expect(() => readKeyFile(join(dir, 'missing'), 'dev', () => undefined)).toThrow(/cannot read the key file of workspace dev/);
    writeFileSync(file, '\n');
    expect(() => readKeyFile(file, 'dev', () => undefined)).toThrow(/is empty/);
    expect(readFileSync(file, 'utf8')).toBe('\n');
  });
});
