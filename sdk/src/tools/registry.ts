import { createFileEditorTool } from './file-editor/file-editor-tool.js';
import { createFinishTool } from './finish.js';
import { createTaskTrackerTool } from './task-tracker.js';
import { createTerminalTool } from './terminal/terminal-tool.js';
import { createThinkTool } from './think.js';
import type { Tool, ToolRuntime } from './tool.js';

type ToolFactory = (runtime: ToolRuntime, params: Record<string, unknown>) => Tool;

/** Registry names, as OpenHands' (the snake-cased tool class without `Tool`). */
const FACTORIES: Record<string, ToolFactory> = {
  terminal: (rt, p) => createTerminalTool(rt, p),
  file_editor: (runtime) => createFileEditorTool(runtime.checkPath),
  task_tracker: (rt) => createTaskTrackerTool(rt),
  finish: () => createFinishTool(),
  think: () => createThinkTool(),
};

/** `include_default_tools` entries map to registry names. */
const DEFAULT_TOOL_CLASSES: Record<string, string> = { FinishTool: 'finish', ThinkTool: 'think' };

export const KNOWN_TOOL_NAMES = Object.keys(FACTORIES);

export function isKnownTool(name: string): boolean {
  return Object.hasOwn(FACTORIES, name);
}

export function defaultToolName(className: string): string | undefined {
  return DEFAULT_TOOL_CLASSES[className];
}

/** Instantiates the named tools for one conversation. Unknown names are rejected by the agent spec first. */
export function createTools(specs: readonly { name: string; params: Record<string, unknown> }[], runtime: ToolRuntime): Tool[] {
  return specs.map((s) => {
    const factory = FACTORIES[s.name];
    if (!factory) throw new Error(`unknown tool "${s.name}" (known: ${KNOWN_TOOL_NAMES.join(', ')})`);
    return factory(runtime, s.params);
  });
}
