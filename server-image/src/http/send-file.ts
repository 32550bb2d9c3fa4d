// Streams a file as an HTTP response body through a few reused 1 MiB buffers: each is read into, handed to the
// socket, and read into again once the socket has taken it, while the next one is being read. A read stream would
// allocate a fresh 64 KiB buffer per read: 1,600 for 100 MB, whose external memory made V8 run a full GC every
// ~64 MB, and a read and a socket write per 64 KiB.
import { open } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';

const BUFFER_BYTES = 1024 * 1024;
/** Buffers in flight: one being read while the other is written. */
const BUFFERS = 2;

/** Thrown when the client went away before the whole body was sent. */
export class ClientGoneError extends Error {
  override name = 'ClientGoneError';
}

/**
 * Writes the first `size` bytes of `file` to `res` and ends it (the caller has set the headers); `onBytes` gets
 * each piece's length. Bounded to `size` even if the file grows meanwhile; a file that shrank ends the body early.
 * Rejects with ClientGoneError when the connection closes first, or with the read error (the response is then
 * destroyed, since its status is already sent).
 */
export async function sendFileBody(res: ServerResponse, file: string, size: number, onBytes: (n: number) => void): Promise<void> {
  const handle = await open(file, 'r');
  let isGone = false;
  let gone!: () => void;
  const closed = new Promise<'gone'>((resolve) => (gone = () => resolve('gone')));
  const onClose = () => {
    isGone = true;
    gone();
  };
  res.once('close', onClose);
  try {
    const buffers = Array.from({ length: BUFFERS }, () => Buffer.allocUnsafe(Math.min(BUFFER_BYTES, size)));
    /** Per buffer: resolves once the socket has taken what was last written from it. */
    const taken: Array<Promise<unknown>> = buffers.map(() => Promise.resolve());
    let position = 0;
    for (let i = 0; position < size; i = (i + 1) % BUFFERS) {
      const buffer = buffers[i] as Buffer;
      if (await Promise.race([taken[i], closed]) === 'gone') throw new ClientGoneError('client went away');
      const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, size - position), position);
      if (bytesRead === 0) break; // the file shrank
      if (isGone) throw new ClientGoneError('client went away');
      position += bytesRead;
      onBytes(bytesRead);
      taken[i] = new Promise<void>((resolve) => {
        // Called once the data is in the kernel, or with an error when the connection is gone (then 'close' follows).
        res.write(bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead), () => resolve());
      });
    }
    if (await Promise.race([Promise.all(taken), closed]) === 'gone') throw new ClientGoneError('client went away');
    res.end();
  } catch (err) {
    if (!(err instanceof ClientGoneError)) res.destroy(err as Error);
    throw err;
  } finally {
    res.off('close', onClose);
    await handle.close();
  }
}
