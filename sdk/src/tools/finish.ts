import { text } from '../events/content.js';
import { FINISH_DESCRIPTION, FinishParamsSchema, type FinishAction } from './finish.definition.js';
import type { Tool } from './tool.js';

/** `finish`: ends the run with a message to the user. */
export function createFinishTool(): Tool<FinishAction> {
  return {
    name: 'finish',
    className: 'FinishTool',
    description: FINISH_DESCRIPTION,
    params: FinishParamsSchema,
    actionKind: 'FinishAction',
    observationKind: 'FinishObservation',
    annotations: { title: 'finish', readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    execute: async (action) => ({ kind: 'FinishObservation', content: [text(action.message)], is_error: false }),
  };
}
