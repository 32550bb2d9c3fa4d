/** The operator's public surface (for the SDK and tests): the API schema and names. */
export {
  API_VERSION, GROUP, VERSION, KIND, PLURAL, SHORT_NAMES, SERVER_PORT, CONDITION_READY, Reason,
  AgentWorkspace, AgentWorkspaceSpec, AgentWorkspaceStatus, Condition,
} from './api/agentworkspace.js';
export type { AgentWorkspaceSpecInput } from './api/agentworkspace.js';
export { main } from './main.js';
