import { describe, it, expect } from '@jest/globals';
import { pathOf, resourceOf, resourcePath } from './client.js';

describe('resourcePath', () => {
  it.each([
    ['v1', 'Pod', 'ns', 'p', '/api/v1/namespaces/ns/pods/p'],
    ['v1', 'Pod', undefined, undefined, '/api/v1/pods'],
    ['networking.k8s.io/v1', 'NetworkPolicy', 'ns', undefined, '/apis/networking.k8s.io/v1/namespaces/ns/networkpolicies'],
    ['agentworkspace.dev/v1alpha1', 'AgentWorkspace', undefined, undefined, '/apis/agentworkspace.dev/v1alpha1/agentworkspaces'],
    ['coordination.k8s.io/v1', 'Lease', 'kube-system', 'x', '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/x'],
  ])('%s %s in %s named %s → %s', (apiVersion, kind, ns, name, path) => {
    expect(resourcePath(apiVersion, kind, ns, name)).toBe(path);
  });

  it('encodes names and refuses kinds it does not manage', () => {
    expect(resourcePath('v1', 'Secret', 'ns', 'a/b')).toBe('/api/v1/namespaces/ns/secrets/a%2Fb');
    expect(() => resourcePath('apps/v1', 'Deployment', 'ns')).toThrow(/unsupported kind apps\/v1\/Deployment/);
  });

  it('pathOf adds a subresource', () => {
    expect(pathOf({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns' } }, 'status')).toBe('/api/v1/namespaces/ns/pods/p/status');
  });
});

describe('resourceOf', () => {
  it.each([
    ['/api/v1/namespaces/ns/pods/p', 'pods'],
    ['/api/v1/pods', 'pods'],
    ['/api/v1/namespaces/ns', 'namespaces'],
    ['/apis/agentworkspace.dev/v1alpha1/namespaces/ns/agentworkspaces/w/status', 'agentworkspaces/status'],
    ['/apis/coordination.k8s.io/v1/namespaces/default/leases', 'leases'],
  ])('%s → %s', (path, resource) => {
    expect(resourceOf(path)).toBe(resource);
  });
});
