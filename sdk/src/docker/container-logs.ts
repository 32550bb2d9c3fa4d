// A container's last log lines, for the messages of a server that exited or never became ready. Without a TTY the
// engine frames each chunk (8-byte header: stream, 0, 0, 0, big-endian length); with one the bytes come as they are.
import type Docker from 'dockerode';

/** The text of a multiplexed log buffer (stdout and stderr interleaved as written). */
export function demuxLogs(buf: Buffer): string {
  const parts: Buffer[] = [];
  let at = 0;
  while (at + 8 <= buf.length && (buf[at] === 0 || buf[at] === 1 || buf[at] === 2) && buf[at + 1] === 0 && buf[at + 2] === 0 && buf[at + 3] === 0) {
    const size = buf.readUInt32BE(at + 4);
    parts.push(buf.subarray(at + 8, at + 8 + size));
    at += 8 + size;
  }
  if (at < buf.length && parts.length === 0) return buf.toString('utf8');
  return Buffer.concat(parts).toString('utf8');
}

/** The last `lines` lines of the container's output; '' when the engine cannot say (the container is gone). */
export async function logTail(docker: Docker, id: string, lines = 20): Promise<string> {
  try {
    const out = (await docker.getContainer(id).logs({ stdout: true, stderr: true, tail: lines, follow: false })) as unknown as Buffer;
    return demuxLogs(Buffer.isBuffer(out) ? out : Buffer.from(String(out))).trimEnd();
  } catch {
    return '';
  }
}
