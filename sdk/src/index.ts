/**
 * @agentworkspace/sdk — the agent core (events, agent loop, tools, LLM adapters, local conversations with persistence)
 * and the client side (workspaces, startConversation, the remote conversation).
 * Every public export is listed here by name.
 */

// Conversations
export type { Conversation, ConversationSettings } from './conversation/conversation.js';
export { ConversationSettingsSchema } from './conversation/conversation.js';
export { ConversationStateError, ConversationNotFoundError, ConversationExistsError, EventNotFoundError } from './conversation/errors.js';
export { LocalConversation, LocalConversationOptionsSchema } from './conversation/local-conversation.js';
export type {
  LocalConversationOptions, LocalConversationHooks, OpenConversationOptions, ForkOptions, StoredConversation,
} from './conversation/local-conversation.js';
export type { EventListener } from './conversation/event-listeners.js';
export { ExecutionStatusSchema, TERMINAL_STATUSES } from './conversation/state.js';
export type { ExecutionStatus, PersistedState } from './conversation/state.js';
export { PersistenceError } from './conversation/persistence.js';
export { SecretRegistry, SecretSourceSchema, SecretsSchema, SECRET_MASK } from './conversation/secrets.js';
export { DEFAULT_TITLE_MAX_LENGTH, generateTitle, messageEventText, TITLE_SYSTEM_PROMPT, titleRequestMessages } from './conversation/title.js';
export type { SecretSource } from './conversation/secrets.js';

// Agent
export { Agent } from './agent/agent.js';
export type { StepContext } from './agent/agent.js';
export type { StreamProgress } from './agent/stream-slot.js';
export {
  AgentSpecSchema, AgentSpecError, parseAgentSpec, redactAgentSpec, effectiveToolSpecs,
  CondenserSpecSchema, LLMSummarizingCondenserSchema, NoOpCondenserSchema, ToolSpecSchema,
} from './agent/agent-spec.js';
export type { AgentSpec, AgentSpecInput, CondenserSpec } from './agent/agent-spec.js';
export { ConfirmationPolicySchema, shouldConfirm } from './agent/confirmation-policy.js';
export type { ConfirmationPolicy, ConfirmationPolicyInput } from './agent/confirmation-policy.js';
export { detectStuck, StuckThresholdsSchema } from './agent/stuck-detector.js';
export type { StuckThresholds, StuckPattern } from './agent/stuck-detector.js';
export { LLMSummarizingCondenser } from './agent/condenser.js';
export { buildView, viewToMessages, unresolvedActions } from './agent/view.js';
export type { View } from './agent/view.js';

// Events
export { EventSchema, makeEvent, isLLMConvertible } from './events/event.js';
export type { Event, EventInput, EventKind, LLMConvertibleEvent } from './events/event.js';
export { EventSourceSchema, SecurityRiskSchema, newEventId, naiveTimestamp, NAIVE_TIMESTAMP, ROOT_PARENT_ID } from './events/base.js';
export type { EventSource, SecurityRisk } from './events/base.js';
export { TextContentSchema, ImageContentSchema, ContentSchema, text, contentText } from './events/content.js';
export type { TextContent, ImageContent, Content } from './events/content.js';
export { MessageSchema, MessageToolCallSchema } from './events/llm-message.js';
export type { Message, MessageInput, MessageToolCall } from './events/llm-message.js';
export { ErrorClassificationSchema } from './events/error-classification.js';
export type { ErrorClassification } from './events/error-classification.js';
export { MessageEventSchema } from './events/message-event.js';
export type { MessageEvent } from './events/message-event.js';
export { ActionEventSchema } from './events/action-event.js';
export type { ActionEvent } from './events/action-event.js';
export { ObservationEventSchema } from './events/observation-event.js';
export type { ObservationEvent } from './events/observation-event.js';
export { UserRejectObservationSchema } from './events/user-reject-observation.js';
export type { UserRejectObservation } from './events/user-reject-observation.js';
export { AgentErrorEventSchema } from './events/agent-error-event.js';
export type { AgentErrorEvent } from './events/agent-error-event.js';
export { ConversationErrorEventSchema } from './events/conversation-error-event.js';
export type { ConversationErrorEvent } from './events/conversation-error-event.js';
export { SystemPromptEventSchema, ToolDefinitionSchema, ToolAnnotationsSchema } from './events/system-prompt-event.js';
export type { SystemPromptEvent, ToolDefinition, ToolAnnotations } from './events/system-prompt-event.js';
export { PauseEventSchema } from './events/pause-event.js';
export type { PauseEvent } from './events/pause-event.js';
export { InterruptEventSchema } from './events/interrupt-event.js';
export type { InterruptEvent } from './events/interrupt-event.js';
export { ConversationStateUpdateEventSchema, FULL_STATE_KEY } from './events/state-update-event.js';
export type { ConversationStateUpdateEvent } from './events/state-update-event.js';
export { CondensationSchema } from './events/condensation.js';
export type { Condensation } from './events/condensation.js';
export { CondensationRequestSchema } from './events/condensation-request.js';
export type { CondensationRequest } from './events/condensation-request.js';
export { CondensationSummaryEventSchema } from './events/condensation-summary-event.js';
export type { CondensationSummaryEvent } from './events/condensation-summary-event.js';

// Tools
export type { Tool, ToolHost, ToolRuntime } from './tools/tool.js';
export { localLauncher } from './process/launcher.js';
export type { LaunchOptions, LaunchedProcess, ProcessLauncher } from './process/launcher.js';
export { toLLMTool, toToolDefinition } from './tools/tool.js';
export { createTools, isKnownTool, KNOWN_TOOL_NAMES } from './tools/registry.js';
export { ActionSchema, ObservationSchema } from './tools/kinds.js';
export type { Action, Observation } from './tools/kinds.js';
export { TerminalActionSchema, TerminalObservationSchema, TerminalParamsSchema, CmdOutputMetadataSchema } from './tools/terminal/definition.js';
export type { TerminalAction, TerminalObservation, CmdOutputMetadata } from './tools/terminal/definition.js';
export { createTerminalTool } from './tools/terminal/terminal-tool.js';
export { ShellSession } from './tools/terminal/shell-session.js';
export type { ShellSessionOptions, CommandResult } from './tools/terminal/shell-session.js';
export { FileEditorActionSchema, FileEditorObservationSchema, FileEditorParamsSchema } from './tools/file-editor/definition.js';
export type { FileEditorAction, FileEditorObservation } from './tools/file-editor/definition.js';
export { createFileEditorTool } from './tools/file-editor/file-editor-tool.js';
export { FileEditor } from './tools/file-editor/file-editor.js';
export { TaskTrackerActionSchema, TaskTrackerObservationSchema, TaskItemSchema } from './tools/task-tracker.definition.js';
export type { TaskTrackerAction, TaskTrackerObservation, TaskItem } from './tools/task-tracker.definition.js';
export { createTaskTrackerTool } from './tools/task-tracker.js';
export { FinishActionSchema, FinishObservationSchema } from './tools/finish.definition.js';
export type { FinishAction, FinishObservation } from './tools/finish.definition.js';
export { createFinishTool } from './tools/finish.js';
export { ThinkActionSchema, ThinkObservationSchema } from './tools/think.definition.js';
export type { ThinkAction, ThinkObservation } from './tools/think.definition.js';
export { createThinkTool } from './tools/think.js';

// LLM
export type { LLM, LLMTool, CompletionRequest, CompletionResponse, TokenUsage } from './llm/types.js';
export { LLMConfigSchema, redactLLMConfig, REDACTED } from './llm/config.js';
export type { LLMConfig, LLMConfigInput } from './llm/config.js';
export { LLMError } from './llm/errors.js';
export type { LLMErrorCode } from './llm/errors.js';
export { createLLM, defaultLLMFactory } from './llm/create-llm.js';
export type { LLMFactory } from './llm/create-llm.js';
export { resolveModel } from './llm/model-name.js';
export type { Provider } from './llm/model-name.js';
export { OpenAICompatibleLLM, toOpenAIMessages } from './llm/openai-adapter.js';
export { AnthropicLLM, toAnthropicMessages } from './llm/anthropic-adapter.js';
export { withRetries } from './llm/retry.js';
export { backoffMs } from './backoff.js';
export type { RetryPolicy } from './backoff.js';
export { ConversationStatsSchema, MetricsSchema, recordUsage } from './llm/metrics.js';
export type { ConversationStats, Metrics } from './llm/metrics.js';

// Scripted model (tests, offline demo)
export { ScriptedLLM } from './llm/scripted-llm.js';
export { ScriptSchema, ScriptTurnSchema, loadScript } from './testing/script.js';
export type { Script, ScriptInput, ScriptTurn } from './testing/script.js';
export { ScriptPlayer, ScriptViolation } from './testing/script-player.js';
export { startScriptedOpenAIServer } from './testing/scripted-openai-server.js';
export type { ScriptedServer, ScriptedServerOptions } from './testing/scripted-server.js';
export { startScriptedAnthropicServer } from './testing/scripted-anthropic-server.js';

// Logging seam
export type { Logger } from './logger.js';
export { silentLogger } from './logger.js';

// Workspaces, starting and resuming conversations anywhere, the remote client (`@agentworkspace/sdk/remote`)
export { LocalWorkspace } from './workspace/local-workspace.js';
export { RemoteWorkspace } from './workspace/node-remote-workspace.js';
export { startConversation, resumeConversation } from './conversation/start-conversation.js';
export type { StartConversationOptions, ResumeConversationOptions } from './conversation/start-conversation.js';
export { GitCommandError, GitRepositoryError } from './workspace/git.js';
export {
  AgentWorkspaceError, APIError, AuthenticationError, BadRequestError, ConflictError, ConnectionError, NotFoundError, ServerError,
  TimeoutError, WorkspaceStartError, errorFromResponse, HttpClient, SESSION_KEY_HEADER, RemoteConversation,
  GitChangeSchema, GitDiffSchema, ConversationInfoSchema,
} from './remote.js';
export type {
  HttpClientOptions, RequestOptions, ReconnectOptions, CreateRemoteConversationOptions, OpenRemoteConversationOptions,
  RemoteClientOptions, RemoteEndpoint, GitChange, GitDiff, ConversationInfo, RemoteWorkspaceOptions, Workspace, ExecuteOptions,
  ExecuteResult, LocalFiles,
} from './remote.js';
