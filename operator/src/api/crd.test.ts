import { describe, it, expect } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { AgentWorkspace, AgentWorkspaceSpec, durationMs } from './agentworkspace.js';
import { CRD_PATH, NonStructuralSchemaError, POOL_CRD_PATH, agentWorkspaceCrdYaml, agentWorkspacePoolCrdYaml, structural, structuralSchemaOf } from './crd.js';

const root = new URL('../../../', import.meta.url);

describe('the generated CRD', () => {
  it('matches the committed crds/ file (run `npm run -w operator crds` after changing the schema)', () => {
    const committed = readFileSync(new URL(CRD_PATH, root), 'utf8');
    expect(committed).toBe(agentWorkspaceCrdYaml());
  });

  it('and the AgentWorkspacePool CRD match the committed crds/ files; the pool has the scale subresource', () => {
    expect(readFileSync(new URL(POOL_CRD_PATH, root), 'utf8')).toBe(agentWorkspacePoolCrdYaml());
    const version = parse(agentWorkspacePoolCrdYaml()).spec.versions[0];
    expect(version.subresources.scale).toEqual({ specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.status.selector' });
    expect(version.additionalPrinterColumns.map((c: { name: string }) => c.name)).toEqual(['Replicas', 'Ready', 'Warming', 'Reason', 'Age']);
  });

  it('has the printer columns and the status subresource', () => {
    const crd = parse(agentWorkspaceCrdYaml());
    const version = crd.spec.versions[0];
    expect(version.subresources).toEqual({ status: {} });
    expect(version.additionalPrinterColumns.map((c: { name: string }) => c.name)).toEqual(['Ready', 'Reason', 'URL', 'Age']);
    expect(crd.spec.names.shortNames).toEqual(['aw']);
  });

  it('contains no key a structural schema forbids', () => {
    const text = JSON.stringify(parse(agentWorkspaceCrdYaml()));
    for (const bad of ['$schema', 'propertyNames', '$ref', 'oneOf', 'allOf', '"additionalProperties":{}']) {
      expect(text).not.toContain(bad);
    }
  });

  it('documents every spec field with its default', () => {
    const missing: string[] = [];
    const walk = (node: Record<string, unknown>, path: string) => {
      const props = (node.properties ?? {}) as Record<string, Record<string, unknown>>;
      for (const [name, child] of Object.entries(props)) {
        if (typeof child.description !== 'string' && path.split('.').length < 3) missing.push(`${path}.${name}`);
        walk(child, `${path}.${name}`);
      }
    };
    walk(structuralSchemaOf(AgentWorkspaceSpec), 'spec');
    const mentionsDefault = (s: Record<string, unknown>) => typeof s.description === 'string' && /Default/.test(s.description);
    const top = structuralSchemaOf(AgentWorkspaceSpec).properties as Record<string, Record<string, unknown>>;
    expect(missing).toEqual([]);
    expect(Object.entries(top).filter(([, s]) => !mentionsDefault(s)).map(([n]) => n)).toEqual([]);
  });
});

describe('structural()', () => {
  it.each([
    ['a union of objects', z.union([z.object({ a: z.string() }), z.object({ b: z.string() })])],
    ['a tuple', z.tuple([z.string(), z.int()])],
    ['a literal', z.literal('x')],
  ])('refuses %s', (_name, schema) => {
    expect(() => structuralSchemaOf(schema)).toThrow(NonStructuralSchemaError);
  });

  it('turns string|int into x-kubernetes-int-or-string and free objects into preserved fields', () => {
    expect(structural({ type: ['string', 'integer'] })).toEqual({
      anyOf: [{ type: 'integer' }, { type: 'string' }],
      'x-kubernetes-int-or-string': true,
    });
    expect(structural({ type: 'object', properties: {}, additionalProperties: {} })).toEqual({
      type: 'object',
      'x-kubernetes-preserve-unknown-fields': true,
    });
  });
});

describe('the example manifest', () => {
  it('parses with the zod schema and gets the documented defaults', () => {
    const example = parse(readFileSync(new URL('examples/agentworkspace.yaml', root), 'utf8'));
    const ws = AgentWorkspace.parse(example);
    expect(ws.spec.storage).toEqual({ type: 'PersistentVolumeClaim', size: '1Gi', reclaimPolicy: 'Delete' });
    expect(ws.spec.lifetime.maxLifetime).toBe('24h');
    expect(ws.spec.suspended).toBe(false);
    expect(ws.spec.networkPolicy.enabled).toBe(false);
  });
});

describe('durationMs', () => {
  it.each([
    ['24h', 86_400_000],
    ['1h30m', 5_400_000],
    ['45s', 45_000],
    ['Never', undefined],
  ])('%s → %s', (text, ms) => expect(durationMs(text)).toBe(ms));
});
