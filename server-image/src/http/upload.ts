// Multipart upload (OpenHands POST /api/file/upload?path=): the `file` part is streamed with busboy to
// a temporary file beside the target, then renamed over it, so readers never see a partial file and a
// failed or oversized upload leaves nothing behind. Parents are created.
//
// With allowed roots, the path was checked as a string; a directory swapped for a symlink since then would
// be followed. So what the upload creates is checked where it really is: the parent after creating it, the
// temporary file through its descriptor once opened (never through a final symlink), and the file again
// after the rename; anything outside the roots is removed and the upload refused (403).
import { randomBytes } from 'node:crypto';
import { constants, createWriteStream } from 'node:fs';
import { type FileHandle, mkdir, open, realpath, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Request } from 'express';
import busboy from 'busboy';
import { DomainError } from '../errors.js';
import { type PathPolicy, locate } from '../files/paths.js';
import { ApiError } from './errors.js';

export interface UploadLimits {
  /** Largest accepted file, in bytes. */
  maxBytes: number;
  /** Called with the byte count of each received piece (metrics). */
  onBytes?: (n: number) => void;
}

// Multipart framing around the file, allowed on top of maxBytes before Content-Length alone refuses.
const FRAMING_ALLOWANCE = 64 * 1024;
// How much of an oversized body is read and discarded so the client can read the 413 rather than see
// a reset connection; beyond it the connection is dropped.
const DRAIN_LIMIT = 64 * 1024 * 1024;

// Bytes queued for the file before busboy's stream (and so the request) is paused.
const WRITE_HIGH_WATER_MARK = 1024 * 1024;

class UploadAborted extends Error {}

const missingFile = () => new ApiError('validation', [{ loc: ['body', 'file'], msg: 'Field required', type: 'missing' }]);
const tooLarge = (max: number) => new ApiError('payload_too_large', `File exceeds the upload limit of ${max} bytes`, { Connection: 'close' });

/** Reads and discards the rest of the request (up to DRAIN_LIMIT), then resolves. */
function drain(req: Request): Promise<void> {
  return new Promise((resolve) => {
    if (req.readableEnded) return resolve();
    let seen = 0;
    req.on('data', (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > DRAIN_LIMIT) {
        req.destroy();
        resolve();
      }
    });
    req.on('end', () => resolve());
    req.on('error', () => resolve());
    req.on('close', () => resolve());
    req.resume();
  });
}

const CREATE_NEW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

function fsError(err: unknown): ApiError | DomainError {
  if (err instanceof ApiError || err instanceof DomainError) return err;
  const code = (err as NodeJS.ErrnoException).code;
  // A parent that is a dangling symlink, or was removed meanwhile.
  if (code === 'ENOENT') return new ApiError('bad_request', 'Parent directory does not exist');
  if (code === 'ELOOP') return new ApiError('bad_request', 'Path is a symbolic link');
  if (code === 'ENOTDIR' || code === 'EEXIST') return new ApiError('bad_request', 'Parent path is not a directory');
  if (code === 'EISDIR') return new ApiError('bad_request', 'Path is a directory');
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return new ApiError('forbidden', 'Permission denied');
  throw err;
}

/** Stores the request's multipart `file` part at `target` (absolute, already checked by `paths`). Throws ApiError. */
export async function receiveUpload(req: Request, target: string, paths: PathPolicy, limits: UploadLimits): Promise<number> {
  const contentType = req.headers['content-type'] ?? '';
  if (!/^multipart\/form-data/i.test(contentType)) {
    await drain(req);
    throw missingFile();
  }
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limits.maxBytes + FRAMING_ALLOWANCE) {
    await drain(req);
    throw tooLarge(limits.maxBytes);
  }
  try {
    if ((await stat(target)).isDirectory()) {
      await drain(req);
      throw new ApiError('bad_request', 'Path is a directory');
    }
  } catch (err) {
    if (err instanceof ApiError) throw err;
    if ((err as NodeJS.ErrnoException).code === 'ENOTDIR') {
      await drain(req);
      throw new ApiError('bad_request', 'Parent path is not a directory');
    }
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  try {
    await mkdir(dirname(target), { recursive: true });
    await paths.assertInside(await realpath(dirname(target)));
  } catch (err) {
    await drain(req);
    throw fsError(err);
  }

  const tmp = join(dirname(target), `.${basename(target)}.upload-${randomBytes(6).toString('hex')}`);
  let parser: busboy.Busboy;
  try {
    parser = busboy({ headers: req.headers, limits: { fileSize: limits.maxBytes + 1, files: 1, fields: 50, parts: 60, fieldSize: 64 * 1024 } });
  } catch {
    await drain(req);
    throw new ApiError('bad_request', 'Malformed multipart body');
  }

  let written: Promise<{ bytes: number; truncated: boolean }> | undefined;
  let handle: FileHandle | undefined;
  /** Where the temporary file really is, once opened. */
  let realTmp: string | undefined;
  let fileStream: NodeJS.ReadableStream & { destroy(err?: Error): void } | undefined;
  const parsed = new Promise<void>((resolve, reject) => {
    // A client that goes away mid-upload never completes the multipart body.
    req.once('close', () => {
      if (!req.complete) reject(new UploadAborted());
    });
    parser.on('file', (name, stream) => {
      if (name !== 'file' || written) {
        stream.resume();
        return;
      }
      fileStream = stream;
      let bytes = 0;
      written = (async () => {
        handle = await open(tmp, CREATE_NEW, 0o644);
        realTmp = await locate(handle.fd, tmp);
        await paths.assertInside(realTmp);
        // Written through the handle, which stays open: the file is located through it again after the rename.
        // A write stream writes what arrived while its last write was in flight in one writev.
        const piped = pipeline(stream, createWriteStream('', { fd: handle.fd, autoClose: false, highWaterMark: WRITE_HIGH_WATER_MARK }));
        // Counted once piped: a 'data' listener alone would start the flow.
        stream.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          limits.onBytes?.(chunk.length);
        });
        await piped;
        return { bytes, truncated: (stream as unknown as { truncated?: boolean }).truncated === true };
      })();
      written.catch(() => stream.resume());
    });
    parser.on('close', () => resolve());
    parser.on('error', (err) => reject(err));
  });

  const cleanup = () => unlink(realTmp ?? tmp).catch(() => undefined);
  req.pipe(parser);
  try {
    try {
      await parsed;
    } catch (err) {
      req.unpipe(parser);
      fileStream?.destroy(err as Error);
      await written?.catch(() => undefined);
      await cleanup();
      if (err instanceof UploadAborted) throw new ApiError('bad_request', 'Upload aborted by the client');
      await drain(req);
      throw new ApiError('bad_request', 'Malformed multipart body');
    }
    if (!written) throw missingFile();
    let result: { bytes: number; truncated: boolean };
    try {
      result = await written;
    } catch (err) {
      await cleanup();
      throw fsError(err);
    }
    if (result.truncated || result.bytes > limits.maxBytes) {
      await cleanup();
      throw tooLarge(limits.maxBytes);
    }
    try {
      await rename(tmp, target);
      // The rename resolved the path again: the file must still be inside the roots.
      realTmp = await locate((handle as FileHandle).fd, target);
      await paths.assertInside(realTmp);
    } catch (err) {
      await cleanup();
      throw fsError(err);
    }
    return result.bytes;
  } finally {
    await handle?.close().catch(() => undefined);
  }
}
