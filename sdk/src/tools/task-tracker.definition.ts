import { z } from 'zod';
import { observationBase } from './observation-base.js';

export const TaskItemSchema = z.strictObject({
  title: z.string().min(1),
  notes: z.string().default(''),
  status: z.enum(['todo', 'in_progress', 'done']).default('todo'),
});
export type TaskItem = z.infer<typeof TaskItemSchema>;

export const TaskTrackerParamsSchema = z.strictObject({
  command: z.enum(['view', 'plan']).default('view').describe(
    'The command to execute. `view` shows the current task list. `plan` creates or updates the task list based on provided requirements and progress. Always `view` the current list before making changes.',
  ),
  task_list: z.array(TaskItemSchema).default([]).describe(
    'The full task list. Required parameter of `plan` command.',
  ),
});
export const TaskTrackerActionSchema = TaskTrackerParamsSchema.extend({ kind: z.literal('TaskTrackerAction') });
export type TaskTrackerAction = z.infer<typeof TaskTrackerActionSchema>;

export const TaskTrackerObservationSchema = z.strictObject({
  kind: z.literal('TaskTrackerObservation'),
  ...observationBase,
  command: z.enum(['view', 'plan']),
  task_list: z.array(TaskItemSchema).default([]),
});
export type TaskTrackerObservation = z.infer<typeof TaskTrackerObservationSchema>;

export const TASK_TRACKER_DESCRIPTION = `This tool provides structured task management for development work: it tracks progress, breaks complex work into steps and keeps the plan visible. Use \`plan\` with the complete list (titles, notes, statuses todo|in_progress|done) and \`view\` to read it back.`;
