/** The spec a pooled workspace's cold-started pod is built from: the pool's template shapes it, as a claimed pod. */
import type { AgentWorkspace } from '../api/agentworkspace.js';
import { AgentWorkspacePool } from '../api/agentworkspacepool.js';
import type { CacheView } from './deps.js';

export function pooledSpec(ws: AgentWorkspace, pools: CacheView): AgentWorkspace {
  const ref = ws.spec.poolRef;
  if (!ref) return ws;
  const pool = AgentWorkspacePool.safeParse(pools.get(ref.name, ws.metadata.namespace)).data;
  return pool ? { ...ws, spec: { ...ws.spec, ...pool.spec.template } } : ws;
}
