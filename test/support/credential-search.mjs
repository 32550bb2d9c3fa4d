// The credential search the secrets e2e test runs as the agent, inside a workspace pod (test/e2e/workspace-secrets.test.ts).
// Plain JavaScript for the pod's node; never prints a searched value.
//
//   node --input-type=module -e "<this file>" <hex of JSON {name: value reversed}>
//
// Values arrive reversed and hex-encoded, so the command line, the shell and the event files hold no copy; only this
// process has them, and it leaves itself out. Before searching it plants the needle named `canary` in a child's
// environment (and so its memory) and in a file, and the report must show it found there: the search proves itself.
// Searched: every /proc/<pid>/environ, every readable mapping of every /proc/<pid>/mem (UTF-8 and UTF-16LE), and
// every readable regular file under / (not /proc, /sys, /dev; symlinks not followed; at most 64 MiB each).
import { Buffer } from 'node:buffer';
import { spawn } from 'node:child_process';
import { closeSync, lstatSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';

const values = JSON.parse(Buffer.from(process.argv.at(-1) ?? '', 'hex').toString('utf8'));
const needles = Object.entries(values).map(([name, reversed]) => {
  const value = [...reversed].reverse().join('');
  return { name, forms: [['utf8', Buffer.from(value, 'utf8')], ['utf16le', Buffer.from(value, 'utf16le')]] };
});
const longest = Math.max(...needles.flatMap((n) => n.forms.map(([, b]) => b.length)));
const found = [];
const MAX_HITS = 20;

function search(buf, where) {
  for (const n of needles) {
    for (const [encoding, form] of n.forms) {
      if (buf.indexOf(form) >= 0 && found.filter((f) => f.name === n.name).length < MAX_HITS) found.push({ name: n.name, encoding, ...where });
    }
  }
}

// The canary: a child with it in its environment, and a file.
const canary = needles.find((n) => n.name === 'canary');
const plantDir = mkdtempSync(join(tmpdir(), 'canary-'));
writeFileSync(join(plantDir, 'planted'), `planted: ${canary.forms[0][1].toString('utf8')}\n`);
const child = spawn('sleep', ['600'], { env: { CANARY: canary.forms[0][1].toString('utf8') }, stdio: 'ignore' });
await new Promise((resolve, reject) => { child.once('spawn', resolve); child.once('error', reject); });

const self = String(process.pid);
const report = { self: process.pid, uid: process.getuid(), processes: [], environs: 0, memPids: [], memBytes: 0, files: 0, fileBytes: 0, unreadable: 0 };
for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d) && d !== self)) {
  let cmdline = '';
  try { cmdline = readFileSync(`/proc/${pid}/cmdline`).toString('utf8').split('\0').join(' ').trim(); } catch { continue; }
  report.processes.push({ pid: Number(pid), cmdline: cmdline.slice(0, 120) });
  try {
    search(readFileSync(`/proc/${pid}/environ`), { in: 'environ', pid: Number(pid) });
    report.environs++;
  } catch { /* not ours */ }
  let maps = '';
  let fd;
  try { maps = readFileSync(`/proc/${pid}/maps`, 'utf8'); fd = openSync(`/proc/${pid}/mem`, 'r'); } catch { continue; }
  let bytes = 0;
  for (const line of maps.split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) r/.exec(line);
    if (!m) continue;
    const start = BigInt(`0x${m[1]}`);
    const end = BigInt(`0x${m[2]}`);
    if (end - start > 1n << 30n) continue; // a reservation, not data
    const chunk = Buffer.alloc(8 << 20);
    for (let at = start; at < end;) {
      const want = Number(end - at < BigInt(chunk.length) ? end - at : BigInt(chunk.length));
      let got = 0;
      try { got = readSync(fd, chunk, 0, want, at); } catch { break; }
      if (got <= 0) break;
      search(chunk.subarray(0, got), { in: 'mem', pid: Number(pid) });
      bytes += got;
      // Overlap the next chunk by a needle's length, so a match across the boundary is seen.
      at += BigInt(got > longest ? got - longest : got);
    }
  }
  closeSync(fd);
  if (bytes > 0) { report.memPids.push(Number(pid)); report.memBytes += bytes; }
}

const skip = new Set(['/proc', '/sys', '/dev']);
const walk = (dir) => {
  let entries;
  try { entries = readdirSync(dir); } catch { report.unreadable++; return; }
  for (const name of entries) {
    const path = dir === '/' ? `/${name}` : `${dir}/${name}`;
    if (skip.has(path)) continue;
    let st;
    try { st = lstatSync(path); } catch { continue; }
    if (st.isDirectory()) walk(path);
    else if (st.isFile() && st.size <= 64 << 20) {
      try {
        const buf = readFileSync(path);
        report.files++;
        report.fileBytes += buf.length;
        search(buf, { in: 'file', path });
      } catch { report.unreadable++; }
    }
  }
};
walk('/');

child.kill('SIGKILL');
rmSync(plantDir, { recursive: true, force: true });
process.stdout.write(`CREDENTIAL-SEARCH ${JSON.stringify({ ...report, found })}\n`);
