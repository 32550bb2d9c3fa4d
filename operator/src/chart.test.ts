// The Helm chart (charts/agentworkspace-operator) packages what this package defines, unchanged: the
// CRDs of crds/ and the RBAC of operator/rbac.yaml (the chart renders the rules of its files/rbac.yaml
// copy), and its values are all documented and all described by values.schema.json. The chart's
// behaviour on a cluster is test/e2e/chart.test.ts.
import { describe, it, expect } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { parse } from 'yaml';

const root = new URL('../../', import.meta.url);
const chart = new URL('charts/agentworkspace-operator/', root);
const read = (base: URL, path: string) => readFileSync(new URL(path, base), 'utf8');
const FIX = 'run `make chart-files` to copy crds/ and operator/rbac.yaml into the chart';

describe('the Helm chart', () => {
  it(`holds the CRDs of crds/ byte for byte, and no others (${FIX})`, () => {
    const source = readdirSync(new URL('crds/', root)).filter((f) => f.endsWith('.yaml')).sort();
    const packaged = readdirSync(new URL('crds/', chart)).sort();
    expect(packaged).toEqual(source);
    for (const file of source) expect({ file, text: read(chart, `crds/${file}`) }).toEqual({ file, text: read(root, `crds/${file}`) });
  });

  it(`renders operator/rbac.yaml's rules: files/rbac.yaml is byte-identical and no template writes rules of its own (${FIX})`, () => {
    expect(read(chart, 'files/rbac.yaml')).toBe(read(root, 'operator/rbac.yaml'));
    expect(read(chart, 'files/rbac-warm-pools.yaml')).toBe(read(root, 'operator/rbac-warm-pools.yaml'));
    const templates = readdirSync(new URL('templates/', chart));
    for (const t of templates) expect({ t, verbs: /^\s*(-\s*)?verbs:/m.test(read(chart, `templates/${t}`)) }).toEqual({ t, verbs: false });
    const rbac = read(chart, 'templates/rbac.yaml');
    expect(rbac).toContain('include "agentworkspace-operator.rules"');
    expect(read(chart, 'templates/_helpers.tpl')).toContain('.Files.Get "files/rbac.yaml"');
    expect(read(chart, 'templates/_helpers.tpl')).toContain('.Files.Get "files/rbac-warm-pools.yaml"');
    // The Lease rules the namespaced mode grants in the release namespace exist in the source.
    const rules = (parse(read(root, 'operator/rbac.yaml')) as { rules: Array<{ apiGroups: string[]; resources: string[] }> }).rules;
    expect(rules.some((r) => r.apiGroups.includes('coordination.k8s.io') && r.resources.includes('leases'))).toBe(true);
  });

  it("versions the operator it installs: appVersion is operator/package.json's version", () => {
    const meta = parse(read(chart, 'Chart.yaml')) as { appVersion: string; version: string; apiVersion: string };
    expect(meta.apiVersion).toBe('v2');
    expect(meta.appVersion).toBe((JSON.parse(read(root, 'operator/package.json')) as { version: string }).version);
  });

  it('comments every value of values.yaml (a key needs a comment above it, or above its parent)', () => {
    const lines = read(chart, 'values.yaml').split('\n');
    const uncommented: string[] = [];
    const stack: Array<{ indent: number; key: string; commented: boolean }> = [];
    lines.forEach((line, i) => {
      const m = /^(\s*)([A-Za-z][\w.-]*):/.exec(line);
      if (!m) return;
      const indent = m[1]!.length;
      while (stack.length && stack[stack.length - 1]!.indent >= indent) stack.pop();
      const commented = /^\s*#/.test(lines[i - 1] ?? '') || stack.some((s) => s.commented);
      const leaf = !/:\s*$/.test(line);
      if (leaf && !commented) uncommented.push([...stack.map((s) => s.key), m[2]].join('.'));
      stack.push({ indent, key: m[2]!, commented });
    });
    expect(uncommented).toEqual([]);
  });

  it('describes every value in values.schema.json, which accepts the defaults and names a bad value', () => {
    const schema = JSON.parse(read(chart, 'values.schema.json')) as Record<string, unknown>;
    const values = parse(read(chart, 'values.yaml')) as Record<string, unknown>;
    const undescribed: string[] = [];
    const walk = (v: unknown, s: Record<string, unknown> | undefined, path: string) => {
      if (!s || typeof v !== 'object' || v === null || Array.isArray(v)) return;
      const props = s.properties as Record<string, Record<string, unknown>> | undefined;
      if (!props) return;
      for (const [k, child] of Object.entries(v)) {
        if (!props[k]) undescribed.push(`${path}${k}`);
        else walk(child, props[k], `${path}${k}.`);
      }
    };
    walk(values, schema, '');
    expect(undescribed).toEqual([]);
    const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
    expect(validate(values) ? [] : validate.errors).toEqual([]);
    expect(validate({ ...values, replicaCount: 'two' })).toBe(false);
    expect(validate.errors?.[0]?.instancePath).toBe('/replicaCount');
    expect(validate({ ...values, watchNamespaces: ['Not_A_Namespace'] })).toBe(false);
    expect(validate({ ...values, replicas: 2 })).toBe(false);
  });
});
