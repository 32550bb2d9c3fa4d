/**
 * Writes the generated CRD to crds/ at the repository root (`npm run -w operator crds`, or `make crds`).
 * The repository root is found from this file's location (operator/dist/api → ../../..).
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { CRD_PATH, agentWorkspaceCrdYaml } from './crd.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const target = join(root, CRD_PATH);
writeFileSync(target, agentWorkspaceCrdYaml());
console.log(`wrote ${target}`);
