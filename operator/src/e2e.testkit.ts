/**
 * The operator's e2e tests' jest hooks (useOperatorInNamespace) on cluster.testkit.ts, which it re-exports.
 */
import { afterAll, beforeAll } from '@jest/globals';
import type { KubeClient } from './kube/client.js';
import { createNamespace, installCrd, installOperatorRbac, setUpCluster, startOperator, type OperatorProcess } from './cluster.testkit.js';

export * from './cluster.testkit.js';

/** What `useOperatorInNamespace` set up; each getter reads it once its `beforeAll` has run. */
export interface OperatorInNamespace {
  /** The admin client. */
  readonly client: KubeClient;
  /** The fresh namespace the operator watches. */
  readonly namespace: string;
  /** The running operator; a test that restarts it assigns the new one here, for `afterAll` to stop. */
  operator: OperatorProcess;
  /** The kubeconfig impersonating the operator's ServiceAccount. */
  readonly kubeconfig: string;
}

/**
 * Registers a test file's `beforeAll`/`afterAll` for one operator, under operator/rbac.yaml's rules, watching one
 * fresh namespace named from `prefix`: the cluster, CRD and RBAC are set up, the operator started and (unless
 * `waitForHealth` is false) serving; afterwards it is stopped (SIGTERM, or SIGKILL with `kill`), its logs printed
 * when E2E_SHOW_LOGS is set, and the namespace deleted.
 */
export function useOperatorInNamespace(
  prefix: string,
  options: { serviceAccount?: string; env?: Record<string, string>; waitForHealth?: boolean; kill?: boolean; warmPools?: boolean } = {},
): OperatorInNamespace {
  let client: KubeClient | undefined;
  let ns: { name: string; remove: () => Promise<void> } | undefined;
  let operator: OperatorProcess | undefined;
  let kubeconfig: string | undefined;
  beforeAll(async () => {
    client = await setUpCluster();
    await installCrd(client);
    kubeconfig = await installOperatorRbac(client, options.serviceAccount, { warmPools: options.warmPools === true });
    ns = await createNamespace(client, prefix);
    operator = startOperator({ kubeconfig, namespaces: [ns.name], ...(options.env ? { env: options.env } : {}) });
    if (options.waitForHealth !== false) await operator.healthPort();
  }, 30 * 60_000);
  afterAll(async () => {
    await (options.kill ? operator?.kill() : operator?.stop());
    if (operator && process.env.E2E_SHOW_LOGS) console.log(operator.logs());
    await ns?.remove();
  }, 60_000);
  const ready = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`${what} is read before useOperatorInNamespace's beforeAll ran`);
    return value;
  };
  return {
    get client() { return ready(client, 'client'); },
    get namespace() { return ready(ns, 'namespace').name; },
    get operator() { return ready(operator, 'operator'); },
    set operator(replacement: OperatorProcess) { operator = replacement; },
    get kubeconfig() { return ready(kubeconfig, 'kubeconfig'); },
  };
}
