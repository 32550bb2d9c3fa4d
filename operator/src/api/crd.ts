/**
 * Builds the AgentWorkspace CustomResourceDefinition from the zod schemas in `agentworkspace.ts`.
 * `structural()` turns zod's JSON Schema into a Kubernetes structural schema and throws on what a
 * CRD cannot express, so a schema change that would yield an invalid CRD fails at generation time.
 */
import { z } from 'zod';
import { stringify } from 'yaml';
import { AgentWorkspaceSpec, AgentWorkspaceStatus, GROUP, KIND, PLURAL, SHORT_NAMES, SINGULAR, VERSION } from './agentworkspace.js';
import { AgentWorkspacePoolSpec, AgentWorkspacePoolStatus, POOL_KIND, POOL_PLURAL, POOL_SHORT_NAMES, POOL_SINGULAR } from './agentworkspacepool.js';

type Schema = { [key: string]: unknown };

/** Keys a structural schema may carry (OpenAPI v3 subset accepted by apiextensions/v1). */
const ALLOWED = new Set([
  'type', 'description', 'properties', 'required', 'items', 'additionalProperties', 'default', 'enum', 'format',
  'pattern', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'minLength', 'maxLength', 'minItems',
  'maxItems', 'minProperties', 'maxProperties', 'uniqueItems', 'nullable', 'anyOf',
  'x-kubernetes-validations', 'x-kubernetes-int-or-string', 'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-list-type', 'x-kubernetes-list-map-keys', 'x-kubernetes-map-type',
]);

/** Thrown when the zod schema uses a construct a structural CRD schema cannot express. */
export class NonStructuralSchemaError extends Error {
  override name = 'NonStructuralSchemaError';
}

/**
 * Rewrites one JSON Schema node (zod `toJSONSchema`, io "input") into a structural schema node.
 * - drops `$schema`, `propertyNames`, and zod's safe-integer bounds;
 * - `type: [string, integer|number]` or such an `anyOf` → `x-kubernetes-int-or-string`;
 * - an object whose `additionalProperties` is `{}` and has no properties → `x-kubernetes-preserve-unknown-fields`;
 * - a `date-time` string keeps its `format` and loses zod's long regex;
 * - throws {@link NonStructuralSchemaError} on `$ref`, `oneOf`, `allOf`, `not`, other unions and tuples.
 */
export function structural(node: Schema, path = '$'): Schema {
  for (const bad of ['$ref', 'oneOf', 'allOf', 'not', 'prefixItems', '$defs', 'const']) {
    if (bad in node) throw new NonStructuralSchemaError(`${path}: "${bad}" cannot be expressed in a structural CRD schema`);
  }
  const out: Schema = {};
  const intOrString = isIntOrString(node);
  if (intOrString) {
    const str = (node.anyOf as Schema[] | undefined)?.find((s) => s.type === 'string');
    out['anyOf'] = [{ type: 'integer' }, { type: 'string' }];
    for (const k of ['maxLength', 'pattern'] as const) {
      const v = str?.[k] ?? node[k];
      if (v !== undefined) out[k] = v;
    }
    out['x-kubernetes-int-or-string'] = true;
  } else if ('anyOf' in node || Array.isArray(node.type)) {
    throw new NonStructuralSchemaError(`${path}: unions other than int-or-string cannot be expressed in a CRD`);
  }
  for (const [key, value] of Object.entries(node)) {
    if (key === '$schema' || key === 'propertyNames') continue;
    if (intOrString && (key === 'type' || key === 'anyOf' || key === 'pattern' || key === 'maxLength')) continue;
    if (!ALLOWED.has(key)) throw new NonStructuralSchemaError(`${path}: key "${key}" is not allowed in a CRD schema`);
    if ((key === 'maximum' && value === Number.MAX_SAFE_INTEGER) || (key === 'minimum' && value === Number.MIN_SAFE_INTEGER)) continue;
    if (key === 'pattern' && node.format === 'date-time') continue;
    if (key === 'properties') {
      const props: Schema = {};
      for (const [name, child] of Object.entries(value as Record<string, Schema>)) props[name] = structural(child, `${path}.${name}`);
      out[key] = props;
    } else if (key === 'items') {
      if (Array.isArray(value)) throw new NonStructuralSchemaError(`${path}: tuples cannot be expressed in a CRD`);
      out[key] = structural(value as Schema, `${path}[]`);
    } else if (key === 'additionalProperties') {
      if (value === false) continue;
      const isAny = typeof value === 'object' && value !== null && Object.keys(value).length === 0;
      const hasProps = node.properties && Object.keys(node.properties as object).length > 0;
      if (isAny && !hasProps) {
        delete out['properties'];
        out['x-kubernetes-preserve-unknown-fields'] = true;
        continue;
      }
      if (isAny) throw new NonStructuralSchemaError(`${path}: properties with free additionalProperties are not structural`);
      out[key] = structural(value as Schema, `${path}.*`);
    } else {
      out[key] = value;
    }
  }
  if (out['x-kubernetes-preserve-unknown-fields'] === true) delete out['properties'];
  return out;
}

function isIntOrString(node: Schema): boolean {
  const types = Array.isArray(node.type)
    ? (node.type as string[])
    : Array.isArray(node.anyOf)
      ? (node.anyOf as Schema[]).map((s) => s.type as string)
      : [];
  return types.length === 2 && types.includes('string') && (types.includes('integer') || types.includes('number'));
}

/** The JSON Schema of the spec or status, made structural. */
export function structuralSchemaOf(schema: z.ZodType): Schema {
  return structural(z.toJSONSchema(schema, { io: 'input', unrepresentable: 'throw' }) as Schema);
}

const READY_CONDITION = `.status.conditions[?(@.type=="Ready")]`;

/** What differs between this operator's CRDs; the envelope (group, version, labels, scope) is shared. */
interface CrdParts {
  kind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  subresources: Schema;
  printerColumns: Schema[];
  description: string;
  spec: z.ZodType;
  status: z.ZodType;
}

/** A namespaced CRD of GROUP at VERSION, its one version served and stored. Pure: same input, same output. */
function crdOf(p: CrdParts): Schema {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${p.plural}.${GROUP}`,
      labels: { 'app.kubernetes.io/name': 'agent-workspace-operator', 'app.kubernetes.io/part-of': 'agentworkspace' },
    },
    spec: {
      group: GROUP,
      scope: 'Namespaced',
      names: { kind: p.kind, listKind: `${p.kind}List`, plural: p.plural, singular: p.singular, shortNames: p.shortNames },
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: p.subresources,
          additionalPrinterColumns: p.printerColumns,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              description: p.description,
              required: ['spec'],
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: { type: 'object' },
                spec: structuralSchemaOf(p.spec),
                status: structuralSchemaOf(p.status),
              },
            },
          },
        },
      ],
    },
  };
}

/** The AgentWorkspace CRD, ready to serialise. */
export function agentWorkspaceCrd(): Schema {
  return crdOf({
    kind: KIND, plural: PLURAL, singular: SINGULAR, shortNames: SHORT_NAMES,
    subresources: { status: {} },
    printerColumns: [
      { name: 'Ready', type: 'string', jsonPath: `${READY_CONDITION}.status` },
      { name: 'Reason', type: 'string', jsonPath: `${READY_CONDITION}.reason` },
      { name: 'URL', type: 'string', jsonPath: '.status.url' },
      { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
    ],
    description: 'An agent-server sandbox: one pod running the agent server, with its Service, Secret and optional PVC.',
    spec: AgentWorkspaceSpec,
    status: AgentWorkspaceStatus,
  });
}

/** The AgentWorkspacePool CRD: status and scale subresources (`kubectl scale awp`), counts as printer columns. */
export function agentWorkspacePoolCrd(): Schema {
  return crdOf({
    kind: POOL_KIND, plural: POOL_PLURAL, singular: POOL_SINGULAR, shortNames: POOL_SHORT_NAMES,
    subresources: {
      status: {},
      scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.status.selector' },
    },
    printerColumns: [
      { name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas' },
      { name: 'Ready', type: 'integer', jsonPath: '.status.readyReplicas' },
      { name: 'Warming', type: 'integer', jsonPath: '.status.warmingReplicas' },
      { name: 'Reason', type: 'string', jsonPath: `${READY_CONDITION}.reason` },
      { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
    ],
    description: 'Warm, dormant agent-server pods that AgentWorkspaces with spec.poolRef claim.',
    spec: AgentWorkspacePoolSpec,
    status: AgentWorkspacePoolStatus,
  });
}

const yamlOf = (crd: Schema, source: string) =>
  `# GENERATED by \`npm run -w operator crds\` from operator/src/api/${source}. Do not edit.\n${stringify(crd, { lineWidth: 0 })}`;

/** The header of the generated file, then the CRD as YAML. */
export function agentWorkspaceCrdYaml(): string {
  return yamlOf(agentWorkspaceCrd(), 'agentworkspace.ts');
}

export function agentWorkspacePoolCrdYaml(): string {
  return yamlOf(agentWorkspacePoolCrd(), 'agentworkspacepool.ts');
}

/** Where the generated CRD is committed, relative to the repository root. */
export const CRD_PATH = `crds/${PLURAL}.${GROUP}.yaml`;
export const POOL_CRD_PATH = `crds/${POOL_PLURAL}.${GROUP}.yaml`;
