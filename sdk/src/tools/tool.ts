import { z } from 'zod';
import type { ToolAnnotations, ToolDefinition } from '../events/system-prompt-event.js';
import type { LLMTool } from '../llm/types.js';
import type { Action, Observation } from './kinds.js';
import { SUMMARY_PROPERTY } from './action-summary.js';
import type { ProcessLauncher } from '../process/launcher.js';

/** What a tool may use while it runs. */
export interface ToolRuntime {
  /** The conversation's workspace directory (absolute). */
  workingDir: string;
  /** Where tools keep files of their own (full terminal output, task list). Absolute; created on demand. */
  dataDir: string;
  /** Whether `dataDir` is the conversation's persisted directory (not a temporary one). */
  persistent?: boolean;
  /** Environment given to processes the tools start (the conversation's secrets among them). */
  env: Record<string, string>;
  /** The environment processes start from, before `env`. Default: this process's environment. */
  baseEnv?: Record<string, string | undefined>;
  /** Starts the processes tools run (the terminal's shell). Default: local child processes. */
  launcher?: ProcessLauncher;
  /**
   * Called with the absolute path before a tool reads or writes a file on the agent's behalf; throws (its message
   * becomes the tool's error) when the path must not be touched. Default: any path.
   */
  checkPath?: (path: string) => Promise<void>;
}

/** What a host (the agent server) decides about where tools act: `ToolRuntime.launcher` and `checkPath`. */
export type ToolHost = Pick<ToolRuntime, 'launcher' | 'checkPath'>;

/**
 * A runnable tool: its model-facing definition plus an executor. `execute` gets a validated action and returns an
 * observation; failures are observations with `is_error: true`, and it only throws on a bug.
 * `signal` aborts on interrupt: the tool stops what it is doing and returns promptly.
 */
export interface Tool<A extends Action = Action> {
  /** The registry and model-facing name, e.g. `terminal`. */
  readonly name: string;
  /** The OpenHands tool class, e.g. `TerminalTool` (the `kind` in `SystemPromptEvent.tools`). */
  readonly className: string;
  readonly description: string;
  /** Parameters the model fills in (the action without `kind`). */
  readonly params: z.ZodType;
  readonly actionKind: A['kind'];
  readonly observationKind: Observation['kind'];
  readonly annotations: ToolAnnotations;
  execute(action: A, signal: AbortSignal): Promise<Observation>;
  /** Releases held resources (the terminal's shell). */
  close?(): Promise<void>;
}

/** OpenHands' `SecurityRisk` property, as its schema reads (optional: UNKNOWN when the model leaves it out). */
const SECURITY_RISK_PROPERTY = {
  type: 'string',
  description: 'Security risk levels for actions.\n\nBased on OpenHands security risk levels but adapted for agent-sdk.\nInteger values allow for easy comparison and ordering.',
  enum: ['UNKNOWN', 'LOW', 'MEDIUM', 'HIGH'],
};

/** The tool as the model sees it. `security_risk` is added for a tool that is not read-only (OpenHands' rule). */
export function toLLMTool(tool: Tool, withSecurityRisk = false): LLMTool {
  const schema = z.toJSONSchema(tool.params, { io: 'input' }) as Record<string, unknown>;
  delete schema.$schema;
  // As OpenHands: the metadata fields come first (so output-token truncation cuts the big parameters, not them).
  const props = (schema.properties ?? {}) as Record<string, unknown>;
  schema.properties = {
    ...(withSecurityRisk ? { security_risk: SECURITY_RISK_PROPERTY } : {}),
    summary: SUMMARY_PROPERTY,
    ...props,
  };
  return { name: tool.name, description: tool.description, parameters: schema };
}

/** The tool as OpenHands serializes it in `SystemPromptEvent.tools`. */
export function toToolDefinition(tool: Tool): ToolDefinition {
  return {
    kind: tool.className,
    title: tool.name,
    description: tool.description,
    action_type: tool.actionKind,
    observation_type: tool.observationKind,
    annotations: tool.annotations,
  };
}
