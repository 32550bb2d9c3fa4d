/** Queue keys: "namespace/name" of an AgentWorkspace, and the mapping from a child to its owner's key. */
import { API_VERSION, KIND } from './agentworkspace.js';

interface Meta {
  metadata?: {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    ownerReferences?: Array<{ apiVersion: string; kind: string; name: string; controller?: boolean }>;
  };
}

/** The label every child carries, naming its workspace (also how a retained PVC is re-adopted). */
export const WORKSPACE_LABEL = 'agentworkspace.dev/workspace';

/** "namespace/name" of an object. */
export function keyOf(obj: Meta): string {
  return `${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`;
}

/** Splits "namespace/name"; throws on anything else. */
export function parseKey(key: string): { namespace: string; name: string } {
  const parts = key.split('/');
  if (parts.length !== 2 || !parts[0] || !parts[1]) throw new Error(`invalid key "${key}"`);
  return { namespace: parts[0], name: parts[1] };
}

/** The key of the AgentWorkspace controlling `child` (controller ownerReference, else the workspace label). */
export function ownerKey(child: Meta): string | undefined {
  const ns = child.metadata?.namespace;
  const ref = child.metadata?.ownerReferences?.find((r) => r.controller === true);
  if (ref) return ref.apiVersion === API_VERSION && ref.kind === KIND ? `${ns}/${ref.name}` : undefined;
  const label = child.metadata?.labels?.[WORKSPACE_LABEL];
  return label ? `${ns}/${label}` : undefined;
}
