// Where the CLI writes and what it reads from its process: streams and environment, passed in so that tests run
// commands in-process with their own. Colours only where the stream is a terminal (node:util styleText checks
// isTTY, NO_COLOR, FORCE_COLOR and the colour depth), so piped output and files stay plain.
import { styleText } from 'node:util';

type Format = Parameters<typeof styleText>[0];

export interface Io {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  /** Where relative local paths start. */
  cwd: string;
}

export const processIo = (): Io => ({ stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() });

/** `text` styled for `stream` when it shows colours, else as it is. */
export const paint = (stream: Io['stdout'], format: Format, text: string): string => styleText(format, text, { stream });

/** One line of text. */
export const writeLine = (stream: Io['stdout'], line: string): void => {
  stream.write(`${line}\n`);
};

/** One JSON document (or one line of a JSON-lines stream). */
export const writeJson = (stream: Io['stdout'], value: unknown): void => {
  stream.write(`${JSON.stringify(value)}\n`);
};

/** A warning on stderr: `agentws: warning: …`. */
export const warn = (io: Pick<Io, 'stderr'>, message: string): void => writeLine(io.stderr, paint(io.stderr, 'yellow', `agentws: warning: ${message}`));
