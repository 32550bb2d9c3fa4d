// Processes as the kernel sees them (Linux /proc): whether one is alive, and its memory, for tests that bound
// the server's footprint and check what a command left behind.
import { readFileSync } from 'node:fs';

function statusField(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no ${field} for process ${pid}`);
  return Number(match[1]) * 1024;
}

/** Resident set size now, in bytes. */
export const rssBytes = (pid: number): number => statusField(pid, 'VmRSS');

/** The highest resident set size the process has had, in bytes. */
export const peakRssBytes = (pid: number): number => statusField(pid, 'VmHWM');

export const mib = (bytes: number): number => Math.round(bytes / 1024 / 1024);

/** True while a process with this id exists. */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
