import { describe, expect, it } from '@jest/globals';
import { networkPlan } from './network.js';

describe('networkPlan: what host.docker.internal reaches on each engine', () => {
  it.each([
    ['podman', 'bridge', true, { networkMode: 'slirp4netns:allow_host_loopback=true', extraHosts: ['host.docker.internal:10.0.2.2'], publish: true, reaches: 'host loopback' }],
    ['docker-desktop', 'bridge', true, { networkMode: undefined, extraHosts: [], publish: true, reaches: 'host loopback' }],
    ['docker', 'bridge', true, { networkMode: undefined, extraHosts: ['host.docker.internal:host-gateway'], publish: true, reaches: 'bridge gateway' }],
    ['docker', 'host', true, { networkMode: 'host', extraHosts: ['host.docker.internal:127.0.0.1'], publish: false, reaches: 'host loopback' }],
    ['podman', 'host', false, { networkMode: 'host', extraHosts: [], publish: false, reaches: 'nothing added' }],
    ['podman', 'mynet', true, { networkMode: 'mynet', extraHosts: [], publish: true, reaches: 'nothing added' }],
    ['docker', 'mynet', true, { networkMode: 'mynet', extraHosts: ['host.docker.internal:host-gateway'], publish: true, reaches: 'bridge gateway' }],
    ['podman', 'bridge', false, { networkMode: undefined, extraHosts: [], publish: true, reaches: 'nothing added' }],
  ] as const)('%s, network %s, hostLoopback %s', (kind, network, hostLoopback, plan) => {
    expect(networkPlan(kind, network, hostLoopback)).toEqual(plan);
  });
});
