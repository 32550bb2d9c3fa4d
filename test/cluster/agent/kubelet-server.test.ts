// The node's log format handling and pod address allocation (pure parts of the node agent).
import { describe, expect, it } from '@jest/globals';
import { parseLogLine } from './kubelet-server.js';
import { PodAddresses } from './pod-addresses.js';

describe('parseLogLine', () => {
  it('reads CRI (k8s-file) log lines, full and partial', () => {
    expect(parseLogLine('2026-11-24T01:42:53.714600956+00:00 stdout F hello world')).toEqual({
      time: '2026-11-24T01:42:53.714600956+00:00', message: 'hello world', partial: false,
    });
    expect(parseLogLine('2026-11-24T01:42:53Z stderr P part')?.partial).toBe(true);
    expect(parseLogLine('2026-11-24T01:42:53Z stdout F ')?.message).toBe('');
    expect(parseLogLine('garbage')).toBeUndefined();
  });
});

describe('PodAddresses', () => {
  it('gives each pod its own address of the pod range, stable until released, never the gateway or broadcast', () => {
    const a = new PodAddresses('10.244.3.0/24', ['10.244.3.1']);
    const x = a.acquire('x');
    expect(x).toBe('10.244.3.2');
    expect(a.acquire('x')).toBe(x);
    const y = a.acquire('y');
    expect(y).not.toBe(x);
    a.release('x');
    // A released address is not handed out again at once (a client may still hold a connection to it).
    expect(a.acquire('z')).not.toBe(x);
    const all = new PodAddresses('10.244.3.0/24', ['10.244.3.1']);
    const got = Array.from({ length: 253 }, (_, i) => all.acquire(`p${i}`));
    expect(new Set(got).size).toBe(253);
    expect(got.some((ip) => /\.(0|1|255)$/.test(ip))).toBe(false);
    expect(a.contains('10.244.3.200')).toBe(true);
    expect(a.contains('10.244.4.2')).toBe(false);
    expect(a.reserve('w', '127.0.0.10')).toBe(false);
    expect(a.reserve('w', '10.244.3.77')).toBe(true);
  });

  it('fails clearly when the pool is exhausted', () => {
    const a = new PodAddresses('10.244.3.0/30', []);
    a.acquire('a');
    a.acquire('b');
    expect(() => a.acquire('c')).toThrow('no free pod address');
  });
});
