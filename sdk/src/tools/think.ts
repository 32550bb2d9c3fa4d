import { text } from '../events/content.js';
import { THINK_DESCRIPTION, ThinkParamsSchema, type ThinkAction } from './think.definition.js';
import type { Tool } from './tool.js';

/** `think`: logs a thought; changes nothing. */
export function createThinkTool(): Tool<ThinkAction> {
  return {
    name: 'think',
    className: 'ThinkTool',
    description: THINK_DESCRIPTION,
    params: ThinkParamsSchema,
    actionKind: 'ThinkAction',
    observationKind: 'ThinkObservation',
    annotations: { title: 'think', readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    execute: async () => ({ kind: 'ThinkObservation', content: [text('Your thought has been logged.')], is_error: false }),
  };
}
