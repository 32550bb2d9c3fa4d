// The pure part of the node agent: pod spec → podman arguments, quantities, $(VAR) expansion.
import { describe, expect, it } from '@jest/globals';
import type { V1Pod } from '@kubernetes/client-node';
import { createArgs, podCreateArgs, podPorts } from './container-args.js';
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
  it('publishes container and probe ports on the pod address', () => {
    expect(podPorts(pod())).toEqual([8080, 9090]);
    const args = podCreateArgs(pod(), 'n', '127.0.0.12').join(' ');
    expect(args).toContain('-p 127.0.0.12:8080:8080');
    expect(args).toContain('-p 127.0.0.12:9090:9090');
    expect(args).toContain('--network slirp4netns:allow_host_loopback=true');
    expect(podCreateArgs(pod({ hostNetwork: true }), 'n', '127.0.0.1').join(' ')).toContain('--network host');
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
