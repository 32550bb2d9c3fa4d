import type { Tool } from '../tool.js';
import { FILE_EDITOR_DESCRIPTION, FileEditorParamsSchema, type FileEditorAction } from './definition.js';
import { FileEditor } from './file-editor.js';

/** `file_editor`: one editor (and undo history) per conversation. */
export function createFileEditorTool(checkPath?: (path: string) => Promise<void>): Tool<FileEditorAction> {
  const editor = new FileEditor(checkPath);
  return {
    name: 'file_editor',
    className: 'FileEditorTool',
    description: FILE_EDITOR_DESCRIPTION,
    params: FileEditorParamsSchema,
    actionKind: 'FileEditorAction',
    observationKind: 'FileEditorObservation',
    annotations: { title: 'file_editor', readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
    execute: (action) => editor.execute(action),
  };
}
