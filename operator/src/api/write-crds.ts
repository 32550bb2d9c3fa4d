/**
 * Writes the generated CRDs to crds/ at the repository root (`npm run -w operator crds`, or `make crds`).
 * The repository root is found from this file's location (operator/dist/api → ../../..).
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { CRD_PATH, POOL_CRD_PATH, agentWorkspaceCrdYaml, agentWorkspacePoolCrdYaml } from './crd.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
for (const [path, text] of [[CRD_PATH, agentWorkspaceCrdYaml()], [POOL_CRD_PATH, agentWorkspacePoolCrdYaml()]] as const) {
  const target = join(root, path);
  writeFileSync(target, text);
  console.log(`wrote ${target}`);
}
