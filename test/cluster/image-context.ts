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

for (const line of parseable.split('\n')) {
  const path = line.trim();
  if (!path.startsWith(rootModules)) continue; // the repository root itself
  const rel = path.slice(rootModules.length);
  if (lstatSync(path).isSymbolicLink()) {
    // A workspace package: the one being packaged goes to its own directory, siblings into node_modules.
    const real = realpathSync(path);
    const manifest = JSON.parse(readFileSync(join(real, 'package.json'), 'utf8')) as { name: string };
    const dest = manifest.name === pkgName ? join(out, basename(relative(root, real))) : join(out, 'node_modules', rel);
    copyPublished(real, dest);
  } else {
    cpSync(path, join(out, 'node_modules', rel), {
      recursive: true,
      filter: (src) => !relative(path, src).split(sep).includes('node_modules'),
    });
  }
  packages++;
}
console.log(`image-context: ${pkgName} with ${packages - 1} production dependencies in ${out}`);
