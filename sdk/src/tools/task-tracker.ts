import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { readJson, writeJsonAtomic } from '../conversation/persistence.js';
import { text } from '../events/content.js';
import { TASK_TRACKER_DESCRIPTION, TaskItemSchema, TaskTrackerParamsSchema, type TaskItem, type TaskTrackerAction } from './task-tracker.definition.js';
import type { Tool, ToolRuntime } from './tool.js';

function render(tasks: readonly TaskItem[]): string {
  if (tasks.length === 0) return 'No task list. Use the "plan" command to create one.';
  const mark = { todo: '⏳', in_progress: '🔄', done: '✅' } as const;
  return tasks.map((t, i) => `${i + 1}. ${mark[t.status]} ${t.title}${t.notes ? `\n   ${t.notes}` : ''}`).join('\n');
}

/** `task_tracker`: the agent's plan, kept in `<dataDir>/TASKS.json` so it survives a reload. */
export function createTaskTrackerTool(runtime: ToolRuntime): Tool<TaskTrackerAction> {
  const file = join(runtime.dataDir, 'TASKS.json');
  let tasks: TaskItem[] = [];
  try {
    tasks = z.array(TaskItemSchema).parse(readJson(file));
  } catch {
    tasks = [];
  }
  return {
    name: 'task_tracker',
    className: 'TaskTrackerTool',
    description: TASK_TRACKER_DESCRIPTION,
    params: TaskTrackerParamsSchema,
    actionKind: 'TaskTrackerAction',
    observationKind: 'TaskTrackerObservation',
    annotations: { title: 'task_tracker', readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    async execute(action) {
      if (action.command === 'plan') {
        tasks = action.task_list;
        mkdirSync(runtime.dataDir, { recursive: true });
        writeJsonAtomic(file, tasks);
        return { kind: 'TaskTrackerObservation', command: 'plan', task_list: tasks, is_error: false, content: [text(`Task list has been updated with ${tasks.length} item(s).\n${render(tasks)}`)] };
      }
      return { kind: 'TaskTrackerObservation', command: 'view', task_list: tasks, is_error: false, content: [text(render(tasks))] };
    },
  };
}
