// What the figures were measured on: cores, memory, kernel, versions, and the load while measuring.
import { execFileSync } from 'node:child_process';
import { cpus, loadavg, release, totalmem } from 'node:os';

export interface Machine {
  date: string;
  cores: number;
  cpuModel: string;
  memoryGiB: number;
  kernel: string;
  node: string;
  versions: Record<string, string>;
  /** The 1-minute load average sampled during the run (min, median, max), on `cores` cores. */
  load: { min: number; median: number; max: number; samples: number };
}

/** Samples the 1-minute load average every `intervalMs` until `stop()`; the run's noise, reported with its figures. */
export function sampleLoad(intervalMs = 5_000): { stop(): Machine['load'] } {
  const samples = [loadavg()[0] as number];
  const timer = setInterval(() => samples.push(loadavg()[0] as number), intervalMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      samples.push(loadavg()[0] as number);
      const sorted = [...samples].sort((a, b) => a - b);
      const round = (n: number) => Math.round(n * 100) / 100;
      return { min: round(sorted[0] as number), median: round(sorted[Math.floor(sorted.length / 2)] as number), max: round(sorted[sorted.length - 1] as number), samples: samples.length };
    },
  };
}

export function describeMachine(load: Machine['load'], versions: Record<string, string>): Machine {
  return {
    date: new Date().toISOString(),
    cores: Number(execFileSync('nproc', { encoding: 'utf8' }).trim()),
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: release(),
    node: process.version,
    versions,
    load,
  };
}

export function machineLine(m: Machine): string {
  return `${m.date} · ${m.cores} cores (${m.cpuModel}), ${m.memoryGiB} GiB, Linux ${m.kernel}, bench Node ${m.node}`
    + `${Object.entries(m.versions).map(([k, v]) => `, ${k} ${v}`).join('')} · load average (1 min) during the run `
    + `${m.load.min}–${m.load.max}, median ${m.load.median} (${m.load.samples} samples)`;
}
