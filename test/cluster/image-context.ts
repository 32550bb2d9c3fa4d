// Assembles an image build context for one workspace package of this monorepo: the package itself
// (package.json, dist/, bin/) under <out>/<its directory>, and its production dependency closure copied
// from the root node_modules (exact lockfile versions, as `npm ls --omit=dev` resolves them) under
// <out>/node_modules. Sibling workspace packages are copied as published (package.json + their "files").
// Usage (Node 24 runs this file directly): node image-context.ts <repo root> <package name> <out dir>
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, lstatSync, mkdirSync, readFileSync, realpathSync } from 'node:fs';
import { basename, join, relative, sep } from 'node:path';

const [root, pkgName, out] = process.argv.slice(2);
if (!root || !pkgName || !out) {
  console.error('usage: node image-context.ts <repo root> <package name> <out dir>');
  process.exit(2);
}

const parseable = execFileSync('npm', ['ls', '--omit=dev', '--all', '--parseable', '-w', pkgName], {
  cwd: root,
  encoding: 'utf8',
  stdio: ['ignore', 'pipe', 'ignore'],
});
const rootModules = join(root, 'node_modules') + sep;
let packages = 0;

function copyPublished(src: string, dest: string): void {
  const manifest = JSON.parse(readFileSync(join(src, 'package.json'), 'utf8')) as { files?: string[]; bin?: unknown };
  mkdirSync(dest, { recursive: true });
  cpSync(join(src, 'package.json'), join(dest, 'package.json'));
  const entries = new Set([...(manifest.files ?? ['dist']), 'bin']);
  for (const e of entries) if (existsSync(join(src, e))) cpSync(join(src, e), join(dest, e), { recursive: true });
}

/** Where a workspace package lands: the packaged one in its own directory, siblings under node_modules/<name>. */
function workspaceDest(dir: string): string {
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name: string };
  return manifest.name === pkgName ? join(out!, basename(relative(root!, dir))) : join(out!, 'node_modules', manifest.name);
}

for (const line of parseable.split('\n')) {
  const path = line.trim();
  if (!path) continue;
  if (!path.startsWith(rootModules)) {
    // A dependency npm nested in a workspace's own node_modules (another version than the root's, e.g.
    // server-image/node_modules/write-file-atomic): it goes beside that workspace's copy, where node finds it first.
    const rel = relative(root, path);
    const at = rel.split(sep).indexOf('node_modules');
    if (at <= 0) continue; // the repository root itself
    const dir = join(root, ...rel.split(sep).slice(0, at));
    cpSync(path, join(workspaceDest(dir), ...rel.split(sep).slice(at)), {
      recursive: true,
      filter: (src) => !relative(path, src).split(sep).includes('node_modules'),
    });
    packages++;
    continue;
  }
  const rel = path.slice(rootModules.length);
  if (lstatSync(path).isSymbolicLink()) {
    // A workspace package: the one being packaged goes to its own directory, siblings into node_modules.
    const real = realpathSync(path);
    copyPublished(real, workspaceDest(real));
  } else {
    cpSync(path, join(out, 'node_modules', rel), {
      recursive: true,
      filter: (src) => !relative(path, src).split(sep).includes('node_modules'),
    });
  }
  packages++;
}
console.log(`image-context: ${pkgName} with ${packages - 1} production dependencies in ${out}`);
