import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { contentText } from '../../events/content.js';
import { FileEditorActionSchema, type FileEditorAction } from './definition.js';
import { FileEditor } from './file-editor.js';

let dir: string;
const editor = new FileEditor();
const run = (a: Omit<Partial<FileEditorAction>, 'kind'> & { command: FileEditorAction['command']; path: string }) =>
  editor.execute(FileEditorActionSchema.parse({ kind: 'FileEditorAction', ...a }));

beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'edit-')); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('file_editor (real files)', () => {
  it('creates a file (parents too) and refuses to overwrite it', async () => {
    const p = join(dir, 'a/b/hello.py');
    const o = await run({ command: 'create', path: p, file_text: 'print("hi")\nprint("bye")\n' });
    expect(o.is_error).toBe(false);
    expect(o.prev_exist).toBe(false);
    expect(readFileSync(p, 'utf8')).toBe('print("hi")\nprint("bye")\n');
    const again = await run({ command: 'create', path: p, file_text: 'x' });
    expect(again.is_error).toBe(true);
    expect(contentText(again.content)).toContain('File already exists');
    expect(readFileSync(p, 'utf8')).toBe('print("hi")\nprint("bye")\n');
  });

  it('views a file with line numbers and ranges, and rejects bad ranges', async () => {
    const p = join(dir, 'lines.txt');
    writeFileSync(p, 'one\ntwo\nthree\nfour');
    expect(contentText((await run({ command: 'view', path: p })).content)).toContain('     1\tone\n     2\ttwo');
    const r = contentText((await run({ command: 'view', path: p, view_range: [2, 3] })).content);
    expect(r).toContain('     2\ttwo\n     3\tthree');
    expect(r).not.toContain('one');
    expect(contentText((await run({ command: 'view', path: p, view_range: [3, -1] })).content)).toContain('     4\tfour');
    expect((await run({ command: 'view', path: p, view_range: [0, 2] })).is_error).toBe(true);
    expect((await run({ command: 'view', path: p, view_range: [3, 99] })).is_error).toBe(true);
    expect((await run({ command: 'view', path: p, view_range: [1] })).is_error).toBe(true);
  });

  it('views a directory two levels deep without hidden entries', async () => {
    mkdirSync(join(dir, 'tree/x/y/z'), { recursive: true });
    writeFileSync(join(dir, 'tree/.hidden'), '');
    const t = contentText((await run({ command: 'view', path: join(dir, 'tree') })).content);
    expect(t).toContain(join(dir, 'tree/x/'));
    expect(t).toContain(join(dir, 'tree/x/y/'));
    expect(t).not.toContain(join(dir, 'tree/x/y/z'));
    expect(t).not.toContain('.hidden');
  });

  it('str_replace needs a unique match and leaves the file alone otherwise; undo restores', async () => {
    const p = join(dir, 'dup.txt');
    writeFileSync(p, 'x = 1\ny = 2\nx = 1\n');
    const dup = await run({ command: 'str_replace', path: p, old_str: 'x = 1', new_str: 'x = 9' });
    expect(dup.is_error).toBe(true);
    expect(contentText(dup.content)).toContain('Multiple occurrences of old_str `x = 1` in lines [1,3]');
    const none = await run({ command: 'str_replace', path: p, old_str: 'nope', new_str: 'x' });
    expect(none.is_error).toBe(true);
    expect(contentText(none.content)).toContain('did not appear verbatim');
    expect(readFileSync(p, 'utf8')).toBe('x = 1\ny = 2\nx = 1\n');
    const ok = await run({ command: 'str_replace', path: p, old_str: 'y = 2', new_str: 'y = 3' });
    expect(ok.is_error).toBe(false);
    expect(ok.old_content).toBe('x = 1\ny = 2\nx = 1\n');
    expect(ok.new_content).toBe('x = 1\ny = 3\nx = 1\n');
    expect(contentText(ok.content)).toContain('     2\ty = 3');
    await run({ command: 'insert', path: p, insert_line: 0, new_str: '# top' });
    expect(readFileSync(p, 'utf8')).toBe('# top\nx = 1\ny = 3\nx = 1\n');
    expect((await run({ command: 'undo_edit', path: p })).is_error).toBe(false);
    expect(readFileSync(p, 'utf8')).toBe('x = 1\ny = 3\nx = 1\n');
    await run({ command: 'undo_edit', path: p });
    expect(readFileSync(p, 'utf8')).toBe('x = 1\ny = 2\nx = 1\n');
    const empty = await run({ command: 'undo_edit', path: p });
    expect(empty.is_error).toBe(true);
    expect(contentText(empty.content)).toContain('No edit history');
  });

  it('insert checks its line and parameters', async () => {
    const p = join(dir, 'ins.txt');
    writeFileSync(p, 'a\nb');
    expect((await run({ command: 'insert', path: p, insert_line: 5, new_str: 'z' })).is_error).toBe(true);
    expect((await run({ command: 'insert', path: p, insert_line: 1 })).is_error).toBe(true);
    await run({ command: 'insert', path: p, insert_line: 2, new_str: 'c' });
    expect(readFileSync(p, 'utf8')).toBe('a\nb\nc');
  });

  it('rejects relative paths, missing files, binary files and edits of directories', async () => {
    expect(contentText((await run({ command: 'view', path: 'rel.txt' })).content)).toContain('absolute path');
    expect((await run({ command: 'view', path: join(dir, 'missing') })).is_error).toBe(true);
    writeFileSync(join(dir, 'bin'), Buffer.from([0, 1, 2, 0]));
    expect(contentText((await run({ command: 'view', path: join(dir, 'bin') })).content)).toContain('binary');
    expect((await run({ command: 'str_replace', path: dir, old_str: 'a', new_str: 'b' })).is_error).toBe(true);
  });

  it('asks checkPath before touching a path, and reports its refusal as the error', async () => {
    const asked: string[] = [];
    const guarded = new FileEditor(async (path) => {
      asked.push(path);
      if (path.includes('private')) throw new Error(`Path ${path} is private`);
    });
    const p = join(dir, 'private.txt');
    writeFileSync(p, 'secret');
    const refused = await guarded.execute(FileEditorActionSchema.parse({ kind: 'FileEditorAction', command: 'view', path: p }));
    expect(refused.is_error).toBe(true);
    expect(contentText(refused.content)).toBe(`ERROR:\nPath ${p} is private`);
    const created = await guarded.execute(FileEditorActionSchema.parse({ kind: 'FileEditorAction', command: 'create', path: join(dir, 'public.txt'), file_text: 'x' }));
    expect(created.is_error).toBe(false);
    expect(asked).toEqual([p, join(dir, 'public.txt')]);
  });
});
