// Jest runs in ESM mode (NODE_OPTIONS=--experimental-vm-modules, set by scripts/jest.sh) because
// @kubernetes/client-node 2.x is ESM-only. ts-jest only transpiles; `tsc` type-checks separately.
// Per-tier test timeouts are set by scripts/test.sh (Jest ignores testTimeout inside `projects`).
// Tiers are Jest projects, selected with --selectProjects: unit, integration, parity, cluster, e2e.
const common = {
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, diagnostics: false }] },
  moduleNameMapper: {
    '^@agentworkspace/sdk$': '<rootDir>/sdk/src/index.ts',
    // The package's entry points only (sdk/package.json "exports"): a deep import fails here as it would installed.
    '^@agentworkspace/sdk/(remote|kubernetes|docker|git)$': '<rootDir>/sdk/src/$1.ts',
    '^@agentworkspace/sdk/cli/output$': '<rootDir>/sdk/src/cli/output.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  testEnvironment: 'node',
  modulePathIgnorePatterns: ['<rootDir>/.*/dist/', '<rootDir>/.local/'],
};

export default {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{sdk,server-image,operator}/src/**/*.test.ts'] },
    { ...common, displayName: 'integration', testMatch: ['<rootDir>/test/integration/**/*.test.ts'] },
    { ...common, displayName: 'parity', testMatch: ['<rootDir>/test/parity/**/*.test.ts'] },
    { ...common, displayName: 'cluster', testMatch: ['<rootDir>/test/cluster/**/*.test.ts'] },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.test.ts'] },
  ],
};
