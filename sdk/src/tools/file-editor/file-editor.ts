import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import type { FileEditorAction, FileEditorObservation } from './definition.js';
import { text } from '../../events/content.js';

/** Files larger than this are refused by `view` without a range, so one call cannot flood the context. */
const MAX_VIEW_CHARS = 100_000;
const SNIPPET_LINES = 4;

class EditorError extends Error {
  override readonly name = 'EditorError';
}

function numbered(lines: readonly string[], firstLine: number): string {
  return lines.map((l, i) => `${String(i + firstLine).padStart(6)}\t${l}`).join('\n');
}

/**
 * The `file_editor` executor: view (files with line numbers and ranges, directories two levels deep), create,
 * str_replace (unique match only), insert, and undo_edit with a per-file history. Every failure is an observation
 * with `is_error` true and a message telling the model what to fix.
 */
export class FileEditor {
  private readonly history = new Map<string, string[]>();

  /** `checkPath` refuses (throws) paths the editor must not touch; its message is the observation's error. */
  constructor(private readonly checkPath?: (path: string) => Promise<void>) {}

  async execute(action: FileEditorAction): Promise<FileEditorObservation> {
    try {
      return await this.run(action);
    } catch (err) {
      return { kind: 'FileEditorObservation', command: action.command, path: action.path, prev_exist: existsSync(action.path), is_error: true, content: [text(`ERROR:\n${(err as Error).message}`)] };
    }
  }

  private async run(a: FileEditorAction): Promise<FileEditorObservation> {
    if (!isAbsolute(a.path)) {
      throw new EditorError(`Invalid \`path\` parameter: ${a.path}. The path should be an absolute path, starting with \`/\`.`);
    }
    await this.checkPath?.(a.path);
    const st = await stat(a.path).catch(() => null);
    const ok = (body: string, extra: Partial<FileEditorObservation> = {}): FileEditorObservation => ({
      kind: 'FileEditorObservation', command: a.command, path: a.path, prev_exist: st !== null, is_error: false, content: [text(body)], ...extra,
    });
    if (a.command !== 'create' && st === null) {
      throw new EditorError(`Invalid \`path\` parameter: ${a.path}. The path ${a.path} does not exist. Please provide a valid path.`);
    }
    if (st?.isDirectory() && a.command !== 'view') {
      throw new EditorError(`Invalid \`path\` parameter: ${a.path}. The path ${a.path} is a directory and only the \`view\` command can be used on directories.`);
    }
    switch (a.command) {
      case 'view': {
        if (st!.isDirectory()) {
          if (a.view_range) throw new EditorError('The `view_range` parameter is not allowed when `path` points to a directory.');
          const entries = await this.listDir(a.path, 2);
          return ok(`Here's the files and directories up to 2 levels deep in ${a.path}, excluding hidden items:\n${[a.path + '/', ...entries].join('\n')}`);
        }
        const content = await this.readText(a.path);
        const lines = content.split('\n');
        if (!a.view_range) {
          if (content.length > MAX_VIEW_CHARS) {
            throw new EditorError(`File ${a.path} is ${content.length} characters (${lines.length} lines); view it in parts with \`view_range\`.`);
          }
          return ok(`Here's the result of running \`cat -n\` on ${a.path}:\n${numbered(lines, 1)}\n`);
        }
        const [start, end, ...rest] = a.view_range;
        if (start === undefined || end === undefined || rest.length) throw new EditorError('Invalid `view_range` parameter: it should be a list of two integers.');
        if (start < 1 || start > lines.length) {
          throw new EditorError(`Invalid \`view_range\` parameter: [${start}, ${end}]. Its first element \`${start}\` should be within the range of lines of the file: [1, ${lines.length}].`);
        }
        const last = end === -1 ? lines.length : end;
        if (last < start || last > lines.length) {
          throw new EditorError(`Invalid \`view_range\` parameter: [${start}, ${end}]. Its second element \`${end}\` should be -1 or within [${start}, ${lines.length}].`);
        }
        return ok(`Here's the result of running \`cat -n\` on ${a.path}:\n${numbered(lines.slice(start - 1, last), start)}\n`);
      }
      case 'create': {
        if (st !== null) throw new EditorError(`Invalid \`path\` parameter: ${a.path}. File already exists at: ${a.path}. Cannot overwrite files using command \`create\`.`);
        if (a.file_text == null) throw new EditorError('Parameter `file_text` is required for command: create.');
        await mkdir(dirname(a.path), { recursive: true });
        await writeFile(a.path, a.file_text);
        return ok(`File created successfully at: ${a.path}`, { prev_exist: false, new_content: a.file_text });
      }
      case 'str_replace': {
        if (a.old_str == null || a.old_str === '') throw new EditorError('Parameter `old_str` is required (and must not be empty) for command: str_replace.');
        const newStr = a.new_str ?? '';
        if (a.old_str === newStr) throw new EditorError('No replacement was performed. `new_str` and `old_str` must be different.');
        const content = await this.readText(a.path);
        const at: number[] = [];
        for (let i = content.indexOf(a.old_str); i !== -1; i = content.indexOf(a.old_str, i + 1)) at.push(i);
        if (at.length === 0) throw new EditorError(`No replacement was performed, old_str \`${a.old_str}\` did not appear verbatim in ${a.path}.`);
        if (at.length > 1) {
          const lineNos = at.map((i) => content.slice(0, i).split('\n').length);
          throw new EditorError(`No replacement was performed. Multiple occurrences of old_str \`${a.old_str}\` in lines ${JSON.stringify(lineNos)}. Please ensure it is unique.`);
        }
        const pos = at[0]!;
        const updated = content.slice(0, pos) + newStr + content.slice(pos + a.old_str.length);
        await this.write(a.path, content, updated);
        const editLine = content.slice(0, pos).split('\n').length;
        const snippet = this.snippet(updated, editLine, newStr.split('\n').length);
        return ok(
          `The file ${a.path} has been edited. Here's the result of running \`cat -n\` on a snippet of ${a.path}:\n${snippet}\nReview the changes and make sure they are as expected. Edit the file again if necessary.`,
          { old_content: content, new_content: updated },
        );
      }
      case 'insert': {
        if (a.insert_line == null) throw new EditorError('Parameter `insert_line` is required for command: insert.');
        if (a.new_str == null) throw new EditorError('Parameter `new_str` is required for command: insert.');
        const content = await this.readText(a.path);
        const lines = content === '' ? [] : content.split('\n');
        if (a.insert_line > lines.length) {
          throw new EditorError(`Invalid \`insert_line\` parameter: ${a.insert_line}. It should be within the range of allowed values: [0, ${lines.length}]`);
        }
        const updatedLines = [...lines.slice(0, a.insert_line), ...a.new_str.split('\n'), ...lines.slice(a.insert_line)];
        const updated = updatedLines.join('\n');
        await this.write(a.path, content, updated);
        const snippet = this.snippet(updated, a.insert_line + 1, a.new_str.split('\n').length);
        return ok(
          `The file ${a.path} has been edited. Here's the result of running \`cat -n\` on a snippet of the edited file:\n${snippet}\nReview the changes and make sure they are as expected (correct indentation, no duplicate lines, etc). Edit the file again if necessary.`,
          { old_content: content, new_content: updated },
        );
      }
      case 'undo_edit': {
        const stack = this.history.get(a.path);
        const previous = stack?.pop();
        if (previous === undefined) throw new EditorError(`No edit history found for ${a.path}.`);
        const current = await readFile(a.path, 'utf8');
        await writeFile(a.path, previous);
        return ok(`Last edit to ${a.path} undone successfully. Here's the result of running \`cat -n\` on ${a.path}:\n${numbered(previous.split('\n'), 1)}\n`, {
          old_content: current, new_content: previous,
        });
      }
    }
  }

  private snippet(content: string, firstEditedLine: number, editedLines: number): string {
    const lines = content.split('\n');
    const start = Math.max(1, firstEditedLine - SNIPPET_LINES);
    const end = Math.min(lines.length, firstEditedLine + editedLines - 1 + SNIPPET_LINES);
    return numbered(lines.slice(start - 1, end), start);
  }

  private async write(path: string, before: string, after: string): Promise<void> {
    await writeFile(path, after);
    const stack = this.history.get(path) ?? [];
    stack.push(before);
    this.history.set(path, stack);
  }

  private async readText(path: string): Promise<string> {
    const buf = await readFile(path);
    if (buf.subarray(0, 8192).includes(0)) throw new EditorError(`The file ${path} appears to be binary; the file editor handles text files only.`);
    return buf.toString('utf8');
  }

  private async listDir(dir: string, depth: number): Promise<string[]> {
    const out: string[] = [];
    const entries = (await readdir(dir, { withFileTypes: true })).filter((e) => !e.name.startsWith('.')).sort((x, y) => x.name.localeCompare(y.name));
    for (const e of entries) {
      const p = join(dir, e.name);
      out.push(e.isDirectory() ? `${p}/` : p);
      if (e.isDirectory() && depth > 1) out.push(...(await this.listDir(p, depth - 1)));
    }
    return out;
  }
}
