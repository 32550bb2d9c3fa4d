import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { contentText } from '../../events/content.js';
import type { Tool } from '../tool.js';
import { TerminalActionSchema, type TerminalAction, type TerminalObservation } from './definition.js';
import { createTerminalTool } from './terminal-tool.js';

let dir: string;
let tool: Tool<TerminalAction>;
const never = new AbortController().signal;
const run = async (input: Partial<TerminalAction> & { command: string }) =>
  (await tool.execute(TerminalActionSchema.parse({ kind: 'TerminalAction', ...input }), never)) as TerminalObservation;
const out = (o: TerminalObservation) => contentText(o.content);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'term-'));
  tool = createTerminalTool(
    { workingDir: dir, dataDir: join(dir, '.data'), persistent: true, env: { MY_SECRET_TOKEN: 'tok-123' } },
    { no_change_timeout_seconds: 1, max_output_chars: 2000 },
  );
});
afterAll(async () => {
  await tool.close?.();
  rmSync(dir, { recursive: true, force: true });
});

describe('terminal tool (real bash)', () => {
  it('runs a command and reports output, exit code and cwd', async () => {
    const o = await run({ command: 'echo hello; false' });
    expect(out(o)).toContain('hello');
    expect(o.exit_code).toBe(1);
    expect(o.metadata.working_dir).toBe(dir);
    expect(o.is_error).toBe(false);
  });

  it('keeps cwd and environment between commands', async () => {
    await run({ command: 'mkdir -p sub && cd sub && export FOO=bar' });
    const o = await run({ command: 'pwd; echo "$FOO"; echo "$MY_SECRET_TOKEN"' });
    expect(out(o)).toContain(join(dir, 'sub'));
    expect(out(o)).toContain('bar');
    expect(out(o)).toContain('tok-123');
    expect(o.metadata.working_dir).toBe(join(dir, 'sub'));
    await run({ command: `cd ${dir}` });
  });

  it('handles multi-line commands, quotes and heredocs', async () => {
    const o = await run({ command: `cat > q.txt <<'X'\nit's "quoted" $HOME\nX\ncat q.txt` });
    expect(out(o)).toContain(`it's "quoted" $HOME`);
    expect(o.exit_code).toBe(0);
  });

  it('returns control after the no-change timeout, reads more with an empty command, and C-c stops the process', async () => {
    const o = await run({ command: 'echo started; sleep 30; echo never' });
    expect(o.exit_code).toBe(-1);
    expect(o.timeout).toBe(true);
    expect(out(o)).toContain('started');
    expect(out(o)).toContain('no new output after 1 seconds');
    const busy = await run({ command: 'ls' });
    expect(busy.is_error).toBe(true);
    expect(out(busy)).toContain('previous command is still running');
    const more = await run({ command: '' });
    expect(more.exit_code).toBe(-1);
    const unsupported = await run({ command: 'C-z', is_input: true });
    expect(unsupported.is_error).toBe(true);
    const stopped = await run({ command: 'C-c', is_input: true });
    expect(stopped.exit_code).toBe(130);
    expect(out(stopped)).not.toContain('never');
    const after = await run({ command: 'echo alive' });
    expect(out(after)).toContain('alive');
  });

  it('applies a hard timeout even while output keeps changing', async () => {
    const o = await run({ command: 'for i in $(seq 1 100); do echo tick $i; sleep 0.2; done', timeout: 1.5 });
    expect(o.timeout).toBe(true);
    expect(o.exit_code).toBe(-1);
    expect(out(o)).toContain('timed out after 1.5 seconds');
    const stopped = await run({ command: 'C-c', is_input: true });
    expect(stopped.exit_code).not.toBe(-1);
  });

  it('sends input to a running program', async () => {
    const o = await run({ command: 'read -r line; echo "got:$line"' });
    expect(o.exit_code).toBe(-1);
    const answered = await run({ command: 'hello there', is_input: true });
    expect(out(answered)).toContain('got:hello there');
    expect(answered.exit_code).toBe(0);
  });

  it('as OpenHands: full_output_save_dir on every observation of a persisted conversation, py_interpreter_path from `command -v python`', async () => {
    // A python of our own first on PATH; then a PATH with nothing but base64 (which the shell's runner uses).
    const bin = join(dir, 'pybin');
    const bare = join(dir, 'barebin');
    await run({ command: `mkdir -p ${bin} ${bare} && printf '#!/bin/sh\\n' > ${bin}/python && chmod +x ${bin}/python && ln -sf "$(command -v base64)" ${bare}/base64 && OLD_PATH="$PATH" && PATH="${bin}:$PATH"` });
    const withPython = await run({ command: 'echo x' });
    expect(withPython.full_output_save_dir).toBe(join(dir, '.data', 'observations'));
    expect(withPython.metadata.py_interpreter_path).toBe(join(bin, 'python'));
    expect(out(withPython)).toContain(`[Current working directory: ${withPython.metadata.working_dir}]\n[Python interpreter: ${join(bin, 'python')}]\n[Command finished with exit code 0]`);
    const without = await run({ command: `PATH="${bare}"` });
    expect(without.metadata.py_interpreter_path).toBe('');
    expect(out(without)).not.toContain('Python interpreter');
    await run({ command: 'PATH="$OLD_PATH"' });
    const memory = createTerminalTool({ workingDir: dir, dataDir: join(dir, '.tmp-data'), env: {} }, {});
    try {
      const m = (await memory.execute(TerminalActionSchema.parse({ kind: 'TerminalAction', command: 'true' }), never)) as TerminalObservation;
      expect(m.full_output_save_dir).toBeNull();
    } finally {
      await memory.close?.();
    }
  });

  it('rejects input when nothing runs, and an empty command with nothing to read', async () => {
    expect((await run({ command: 'x', is_input: true })).is_error).toBe(true);
    expect((await run({ command: '' })).is_error).toBe(true);
  });

  it('caps huge output for the model and saves the full output', async () => {
    const o = await run({ command: 'seq 1 20000' });
    const shown = out(o);
    expect(shown.length).toBeLessThan(3000);
    expect(shown).toContain('Observation truncated');
    expect(o.full_output_save_dir).toBe(join(dir, '.data', 'observations'));
    const files = readdirSync(o.full_output_save_dir!);
    expect(files).toEqual([expect.stringMatching(/^terminal_output_[0-9a-f]{8}\.txt$/)]);
    const full = readFileSync(join(o.full_output_save_dir!, files[0]!), 'utf8');
    expect(full.split('\n')).toContain('20000');
    expect(full.split('\n')).toContain('1');
  });

  it('survives `exit` and reset starts a fresh shell in the workspace', async () => {
    const o = await run({ command: 'exit 3' });
    expect(o.exit_code).toBe(3);
    expect(out(await run({ command: 'echo back' }))).toContain('back');
    await run({ command: 'cd / && export GONE=1' });
    const r = await run({ command: '', reset: true });
    expect(out(r)).toContain('reset');
    const o2 = await run({ command: 'pwd; echo "[$GONE]"' });
    expect(out(o2)).toContain(dir);
    expect(out(o2)).toContain('[]');
  });

  it('an abort signal interrupts the running command', async () => {
    const ac = new AbortController();
    const p = tool.execute(TerminalActionSchema.parse({ kind: 'TerminalAction', command: 'sleep 20; echo late' }), ac.signal);
    setTimeout(() => ac.abort(), 200);
    const o = (await p) as TerminalObservation;
    expect(out(o)).not.toContain('late');
    expect(existsSync(dir)).toBe(true);
    expect(out(await run({ command: 'echo next' }))).toContain('next');
  });

  it('starts from the given base environment instead of this process\'s', async () => {
    process.env.HOST_ONLY_CREDENTIAL = 'should-not-leak';
    const scoped = createTerminalTool({ workingDir: dir, dataDir: join(dir, '.data2'), env: { GIVEN: 'yes' }, baseEnv: { PATH: process.env.PATH } });
    try {
      const o = (await scoped.execute(TerminalActionSchema.parse({ kind: 'TerminalAction', command: 'echo "[$HOST_ONLY_CREDENTIAL][$GIVEN]"' }), never)) as TerminalObservation;
      expect(out(o)).toContain('[][yes]');
    } finally {
      delete process.env.HOST_ONLY_CREDENTIAL;
      await scoped.close?.();
    }
  });

  it('a command with endless output returns control and can be interrupted', async () => {
    const o = await run({ command: 'yes' });
    expect(o.exit_code).toBe(-1);
    expect(out(o)).toContain('is still running');
    expect(out(o).length).toBeLessThan(3000);
    const stopped = await run({ command: 'C-c', is_input: true });
    expect(stopped.exit_code).not.toBe(-1);
    expect(out(await run({ command: 'echo after-yes' }))).toContain('after-yes');
  });
});
