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
  it('gives each pod its own loopback address, stable until released, never .0/.255 or 127.0.0.1', () => {
    const a = new PodAddresses();
    const x = a.acquire('x');
    expect(x).toBe('127.0.0.10');
    expect(a.acquire('x')).toBe(x);
    const y = a.acquire('y');
    expect(y).not.toBe(x);
    a.release('x');
    // A released address is not handed out again at once (its published ports may still be closing).
    expect(a.acquire('z')).not.toBe(x);
    const many = new PodAddresses(250, 20);
    const got = Array.from({ length: 15 }, (_, i) => many.acquire(`p${i}`));
    expect(new Set(got).size).toBe(15);
    expect(got.some((ip) => /\.(0|255)$/.test(ip))).toBe(false);
    expect(got).toContain('127.0.1.1');
  });

  it('keeps to its block (second octet), so two clusters on one machine never share an address', () => {
    const a = new PodAddresses(10, 60_000, 7);
    expect(a.acquire('x')).toBe('127.7.0.10');
    expect(a.reserve('y', '127.7.0.42')).toBe(true);
    expect(a.reserve('z', '127.0.0.43')).toBe(false);
    expect(() => new PodAddresses(10, 60_000, 256)).toThrow('not an octet');
  });

  it('fails clearly when the pool is exhausted', () => {
    const a = new PodAddresses(10, 2);
    a.acquire('a');
    a.acquire('b');
    expect(() => a.acquire('c')).toThrow('no free pod loopback address');
  });
});
