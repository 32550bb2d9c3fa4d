import { z } from 'zod';
import { FileEditorActionSchema, FileEditorObservationSchema } from './file-editor/definition.js';
import { FinishActionSchema, FinishObservationSchema } from './finish.definition.js';
import { TaskTrackerActionSchema, TaskTrackerObservationSchema } from './task-tracker.definition.js';
import { TerminalActionSchema, TerminalObservationSchema } from './terminal/definition.js';
import { ThinkActionSchema, ThinkObservationSchema } from './think.definition.js';

/** Every action kind this SDK can put in an `ActionEvent`, discriminated on `kind`. */
export const ActionSchema = z.discriminatedUnion('kind', [
  TerminalActionSchema,
  FileEditorActionSchema,
  TaskTrackerActionSchema,
  FinishActionSchema,
  ThinkActionSchema,
]);
export type Action = z.infer<typeof ActionSchema>;

/** Every observation kind this SDK can put in an `ObservationEvent`, discriminated on `kind`. */
export const ObservationSchema = z.discriminatedUnion('kind', [
  TerminalObservationSchema,
  FileEditorObservationSchema,
  TaskTrackerObservationSchema,
  FinishObservationSchema,
  ThinkObservationSchema,
]);
export type Observation = z.infer<typeof ObservationSchema>;
