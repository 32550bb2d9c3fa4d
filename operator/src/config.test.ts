import { describe, it, expect } from '@jest/globals';
import { ConfigError, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('has documented defaults', () => {
    const c = loadConfig({}, []);
    expect(c).toMatchObject({ WATCH_NAMESPACES: [], WORKERS: 4, RESYNC_PERIOD_MS: 300_000, LEADER_ELECT: true, HEALTH_PORT: 8081, LOG_LEVEL: 'info' });
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('reads env and lets flags win', () => {
    const c = loadConfig({ WATCH_NAMESPACES: 'a, b', WORKERS: '2', LEADER_ELECT: 'false' }, ['--workers', '8', '--kubeconfig', '/k', '--namespaces', 'x']);
    expect(c).toMatchObject({ WATCH_NAMESPACES: ['x'], WORKERS: 8, LEADER_ELECT: false, KUBECONFIG: '/k' });
    expect(loadConfig({ WATCH_NAMESPACES: 'a, b' }, []).WATCH_NAMESPACES).toEqual(['a', 'b']);
  });

  it('reports every invalid setting by name at once', () => {
    let message = '';
    try {
      loadConfig({ WORKERS: '0', LOG_LEVEL: 'loud', HEALTH_PORT: '70000' }, []);
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      message = (err as Error).message;
    }
    expect(message).toMatch(/WORKERS/);
    expect(message).toMatch(/LOG_LEVEL/);
    expect(message).toMatch(/HEALTH_PORT/);
  });

  it('refuses unknown flags and a renew deadline not below the lease duration', () => {
    expect(() => loadConfig({}, ['--bogus', '1'])).toThrow(/--bogus|Unknown option/);
    expect(() => loadConfig({ LEASE_DURATION_MS: '5000', RENEW_DEADLINE_MS: '5000' }, [])).toThrow(/RENEW_DEADLINE_MS/);
  });
});
