/**
 * @agentworkspace/sdk/kubernetes — workspaces in AgentWorkspace custom resources (the operator's), for Node:
 * `KubernetesWorkspace.create(options)` / `.attach({ name })`, and their error classes. A separate entry so
 * that the root one never loads @kubernetes/client-node.
 */
export { KubernetesWorkspace, runsInCluster, GROUP, VERSION, PLURAL, SERVER_PORT } from './kubernetes/kubernetes-workspace.js';
export type { KubernetesWorkspaceInfo, KubernetesWorkspaceSeams } from './kubernetes/kubernetes-workspace.js';
export {
  KubernetesWorkspaceOptionsSchema, AttachKubernetesWorkspaceOptionsSchema, ConnectModeSchema, ListKubernetesWorkspacesOptionsSchema,
  DeleteKubernetesWorkspaceOptionsSchema,
} from './kubernetes/options.js';
export type {
  KubernetesWorkspaceOptions, AttachKubernetesWorkspaceOptions, ConnectMode, ListKubernetesWorkspacesOptions, DeleteKubernetesWorkspaceOptions,
} from './kubernetes/options.js';
export {
  KubernetesAPIError, WorkspaceImagePullError, WorkspaceNotReadyError, WorkspaceReadyTimeoutError, WorkspaceSpecError,
  WorkspaceStoppedError, WorkspaceUnschedulableError, TERMINAL_REASONS,
} from './kubernetes/errors.js';
export type { ReadyState } from './kubernetes/errors.js';
export { waitForReady } from './kubernetes/wait-ready.js';
export type { AgentWorkspaceObject, ReadyProgress, WatchFn, WaitForReadyOptions } from './kubernetes/wait-ready.js';
export { startServiceProxy } from './kubernetes/api-proxy.js';
export type { ServiceProxy, ServiceProxyTarget } from './kubernetes/api-proxy.js';
