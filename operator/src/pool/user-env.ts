/**
 * The per-user environment a claimed pod gets through /api/init: what a cold-started pod would have from the
 * kubelet (envFrom, then env, then the LLM credentials as LLM_MODEL/LLM_API_KEY/LLM_BASE_URL), resolved by the
 * operator from the workspace's Secrets and ConfigMaps. A missing required reference is an InvalidSpec.
 */
import { Reason, type AgentWorkspace } from '../api/agentworkspace.js';
import { resourcePath, type KubeClient, type KubeObject } from '../kube/client.js';
import { isNotFound } from '../kube/errors.js';
import { TerminalError } from '../reconcile/errors.js';

type Kind = 'Secret' | 'ConfigMap';

/** The string data of a Secret (base64-decoded) or ConfigMap; undefined when it does not exist. */
async function dataOf(client: KubeClient, kind: Kind, namespace: string, name: string): Promise<Record<string, string> | undefined> {
  let obj: KubeObject;
  try {
    obj = await client.get(resourcePath('v1', kind, namespace, name));
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
  const data = (obj.data ?? {}) as Record<string, string>;
  if (kind === 'ConfigMap') return data;
  return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
}

/** One key of a Secret, decoded; undefined when it is missing. */
export async function secretValue(client: KubeClient, namespace: string, name: string, key: string): Promise<string | undefined> {
  return (await dataOf(client, 'Secret', namespace, name))?.[key];
}

export async function userEnv(ws: AgentWorkspace, client: KubeClient): Promise<Record<string, string>> {
  const ns = ws.metadata.namespace ?? '';
  const read = (kind: Kind, name: string) => dataOf(client, kind, ns, name);
  const env: Record<string, string> = {};
  for (const [i, from] of (ws.spec.envFrom ?? []).entries()) {
    const kind: Kind = from.secretRef ? 'Secret' : 'ConfigMap';
    const name = (from.secretRef ?? from.configMapRef)!.name;
    const data = await read(kind, name);
    if (!data) throw new TerminalError(Reason.InvalidSpec, `spec.envFrom[${i}]: ${kind} "${name}" not found in namespace "${ns}".`);
    for (const [k, v] of Object.entries(data)) env[`${from.prefix ?? ''}${k}`] = v;
  }
  for (const [i, e] of (ws.spec.env ?? []).entries()) {
    if (!e.valueFrom) {
      env[e.name] = e.value ?? '';
      continue;
    }
    const ref = e.valueFrom.secretKeyRef ?? e.valueFrom.configMapKeyRef!;
    const kind: Kind = e.valueFrom.secretKeyRef ? 'Secret' : 'ConfigMap';
    const value = (await read(kind, ref.name))?.[ref.key];
    if (value !== undefined) env[e.name] = value;
    else if (!ref.optional) throw new TerminalError(Reason.InvalidSpec, `spec.env[${i}] (${e.name}): ${kind} "${ref.name}" has no key "${ref.key}".`);
  }
  const llm = ws.spec.llm;
  if (llm) {
    const data = (await read('Secret', llm.secretName)) ?? {};
    const set = (name: string, key: string) => {
      if (data[key] !== undefined) env[name] = data[key];
    };
    set('LLM_MODEL', llm.modelKey);
    set('LLM_API_KEY', llm.apiKeyKey);
    set('LLM_BASE_URL', llm.baseUrlKey);
  }
  return env;
}
