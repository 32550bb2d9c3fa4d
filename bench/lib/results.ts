// One table per benchmark: printed, and written to bench/results/<name>.json and .md with the machine description.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machineLine, type Machine } from './machine.js';

export const RESULTS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'results');

/** A table: a header row and rows of cells, plus notes printed under it. */
export interface Table {
  title: string;
  columns: string[];
  rows: string[][];
  notes: string[];
}

export function markdownTable(columns: readonly string[], rows: readonly string[][]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(columns), `|${columns.map(() => '---').join('|')}|`, ...rows.map(line)].join('\n');
}

export function renderMarkdown(table: Table, machine: Machine): string {
  return [`## ${table.title}`, '', `Machine: ${machineLine(machine)}`, '', markdownTable(table.columns, table.rows), '',
    ...table.notes.map((n) => `- ${n}`), ''].join('\n');
}

/** Prints the table and writes `<name>.json` (machine, table, raw samples) and `<name>.md`. */
export function writeResults(name: string, table: Table, machine: Machine, raw: unknown): void {
  const md = renderMarkdown(table, machine);
  console.log(`\n${md}`);
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(join(RESULTS_DIR, `${name}.json`), `${JSON.stringify({ name, machine, table, raw }, null, 2)}\n`);
  writeFileSync(join(RESULTS_DIR, `${name}.md`), md);
  console.log(`wrote bench/results/${name}.json and .md`);
}
