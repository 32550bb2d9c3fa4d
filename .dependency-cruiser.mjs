// Import rules for every workspace, checked by `npm run lint:deps` (part of the static test tier): no import
// circle anywhere, and in the agent server and the operator each layer imports only the layers below it
// (the layers are listed in server-image/README.md and operator/README.md).
const server = 'server-image/src';
const op = 'operator/src';
const tests = '\\.(test|testkit)\\.ts$';

/** A rule that files of `from` (a path regex) never import files of `to`. */
const layer = (name, comment, from, to) => ({ name, comment, severity: 'error', from: { path: from, pathNot: tests }, to: { path: to } });

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Modules that import each other in a loop cannot be understood, tested or loaded one at a time.',
      from: {},
      to: { circular: true },
    },
    layer('sdk-imports-no-host', 'The SDK knows nothing of the server or the operator that use it.',
      '^sdk/src/', '^(server-image|operator)/'),
    layer('server-ground', 'The ground floor (configuration, logging, metrics, state, errors, validation) imports nothing of the server above it.',
      `^${server}/(config|log|metrics|server-state|errors|validation)\\.ts$`, `^${server}/(files|bash|conversations|sandbox|http|ws)/|^${server}/(main|index)\\.ts$`),
    layer('server-domain', 'The services (files, bash, conversations, the sandbox runner and its launcher) raise domain errors and know no HTTP, WebSocket or composition.',
      `^${server}/(files|bash|conversations|sandbox)/`, `^${server}/(http|ws)/|^${server}/(main|index)\\.ts$`),
    layer('server-transport', 'HTTP and WebSocket handlers are composed by main.ts, never the other way round.',
      `^${server}/(http|ws)/`, `^${server}/(main|index)\\.ts$`),
    layer('operator-ground', 'The API types, the Kubernetes client, configuration, logging and metrics import neither the controller nor reconcile.',
      `^${op}/(api|kube)/|^${op}/(config|log|metrics)\\.ts$`, `^${op}/(controller|reconcile)/|^${op}/(main|index|health)\\.ts$`),
    layer('operator-reconcile', 'reconcile(key) knows no queue, informer or leader election.',
      `^${op}/reconcile/`, `^${op}/controller/|^${op}/(main|index|health)\\.ts$`),
    layer('operator-controller', 'The controller loop is composed by main.ts.',
      `^${op}/controller/`, `^${op}/(main|index)\\.ts$`),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(dist|node_modules|\\.local)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'types', 'default'], extensions: ['.ts', '.js'] },
  },
};
