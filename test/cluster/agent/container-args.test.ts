// The pure part of the node agent: pod spec → podman arguments, quantities, $(VAR) expansion.
import { describe, expect, it } from '@jest/globals';
import type { V1Pod } from '@kubernetes/client-node';
import { createArgs, dnsArgs, podCreateArgs, podPorts } from './container-args.js';
import { ContainerConfigError, expand } from './env.js';
import { parseQuantity } from './quantity.js';

const pod = (extra: Partial<NonNullable<V1Pod['spec']>> = {}): V1Pod => ({
  metadata: { name: 'p', namespace: 'ns', uid: '0123456789abcdef' },
  spec: {
    containers: [{
      name: 'c', image: 'localhost/x:1', ports: [{ containerPort: 8080 }],
      readinessProbe: { tcpSocket: { port: 9090 } },
    }],
    ...extra,
  },
});

const plan = (p: V1Pod) => ({
  pod: p, container: p.spec!.containers[0]!, podmanName: 'k8s_c', nodeName: 'n', env: new Map([['A', 'b']]),
  volumes: new Map([['v', { hostPath: '/host/v', forceReadOnly: true }]]), podmanPod: 'k8s_p', logPath: '/logs/c.log',
});

describe('container-args', () => {
  it('puts the containers of a pod-network pod into its netns with cluster DNS; a hostNetwork pod on the host', () => {
    expect(podPorts(pod())).toEqual([8080, 9090]);
    expect(podCreateArgs(pod(), 'n').join(' ')).toContain('--infra=false');
    expect(podCreateArgs(pod({ hostNetwork: true }), 'n').join(' ')).toContain('--network host');
    const dns = { server: '10.96.0.10', clusterDomain: 'cluster.local' };
    const text = createArgs({ ...plan(pod()), netnsPath: '/run/netns/aw0-p-x', dns }).join(' ');
    expect(text).toContain('--network ns:/run/netns/aw0-p-x --hostname p');
    expect(text).toContain('--dns 10.96.0.10 --dns-search ns.svc.cluster.local --dns-search svc.cluster.local --dns-search cluster.local --dns-option ndots:5');
    const host = createArgs({ ...plan(pod({ hostNetwork: true })), dns }).join(' ');
    expect(host).not.toContain('--network');
    expect(host).not.toContain('--dns');
  });

  it('honours dnsPolicy Default and None with dnsConfig', () => {
    const dns = { server: '10.96.0.10', clusterDomain: 'cluster.local' };
    expect(dnsArgs(pod({ dnsPolicy: 'Default' }), dns)).toEqual([]);
    expect(dnsArgs(pod({ dnsPolicy: 'None', dnsConfig: { nameservers: ['10.0.2.2'], searches: ['x.test'], options: [{ name: 'ndots', value: '2' }] } }), dns))
      .toEqual(['--dns', '10.0.2.2', '--dns-search', 'x.test', '--dns-option', 'ndots:2']);
  });

  it('maps securityContext, limits, command and mounts', () => {
    const p = pod({ securityContext: { runAsUser: 10001, fsGroup: 2000 } });
    Object.assign(p.spec!.containers[0]!, {
      command: ['/bin/sh', '-c'], args: ['echo $(A)'],
      resources: { limits: { memory: '256Mi', cpu: '250m' } },
      securityContext: { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
      volumeMounts: [{ name: 'v', mountPath: '/etc/v' }],
    });
    const args = createArgs(plan(p));
    const text = args.join(' ');
    expect(text).toContain('--user 10001');
    expect(text).toContain('--group-add 2000');
    expect(text).toContain('--read-only');
    expect(text).toContain('--cap-drop ALL');
    expect(text).toContain('--security-opt no-new-privileges');
    expect(text).toContain(`--memory ${256 * 2 ** 20}`);
    expect(text).toContain('--cpus 0.25');
    expect(text).toContain('-v /host/v:/etc/v:ro');
    expect(args[args.indexOf('--entrypoint') + 1]).toBe('["/bin/sh","-c"]');
    expect(args.at(-2)).toBe('localhost/x:1');
    expect(args.at(-1)).toBe('echo b');
  });

  it('refuses unsafe subPaths and unknown mounts with a configuration error', () => {
    const p = pod();
    p.spec!.containers[0]!.volumeMounts = [{ name: 'v', mountPath: '/m', subPath: '../../etc' }];
    expect(() => createArgs(plan(p))).toThrow(ContainerConfigError);
    p.spec!.containers[0]!.volumeMounts = [{ name: 'nope', mountPath: '/m' }];
    expect(() => createArgs(plan(p))).toThrow(/nope/);
  });

  it('parses quantities and expands $(VAR) references as the kubelet does', () => {
    expect(parseQuantity('500m')).toBe(0.5);
    expect(parseQuantity('1Gi')).toBe(2 ** 30);
    expect(parseQuantity('2')).toBe(2);
    expect(() => parseQuantity('lots')).toThrow(/not a resource quantity/);
    const env = new Map([['A', 'x']]);
    expect(expand('$(A)-$(B)-$$(A)', env)).toBe('x-$(B)-$(A)');
  });
});
