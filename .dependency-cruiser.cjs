// Dependency rules between embrec's packages (issue 11), checked by `npm run lint:deps` (part of
// `npm run lint`) on every package's src/. Workspace packages are resolved through node_modules
// (preserveSymlinks), so an import of '@embrec/x' is checked against the importing package's
// package.json like any npm dependency.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'models-not-eval',
      comment:
        'Models must not import the evaluator (@embrec/eval): a model is trained and scored, the runner ' +
        'evaluates it. Use the top-K of @embrec/native.',
      severity: 'error',
      from: { path: '^packages/models/' },
      to: { path: '(^|/)(node_modules/@embrec/eval|packages/eval)/' },
    },
    {
      name: 'data-not-eval',
      comment:
        'Loading data is not evaluation: @embrec/data (data sets, transforms, splitters) must not import ' +
        '@embrec/eval, so serving, models and the finance loaders get data without the evaluator.',
      severity: 'error',
      from: { path: '^packages/data/' },
      to: { path: '(^|/)(node_modules/@embrec/eval|packages/eval)/' },
    },
    {
      name: 'tracking-only-from-cli',
      comment:
        'Only the CLI and the MLflow plugin itself import tracking (@embrec/mlflow): core and the other ' +
        'packages talk to trackers through the tracker kind (TrackerComponent, `automatic`).',
      severity: 'error',
      from: { path: '^packages/', pathNot: ['^packages/cli/', '^packages/mlflow/'] },
      to: { path: '(^packages/mlflow/|node_modules/@embrec/mlflow/)' },
    },
    {
      name: 'undeclared-package',
      comment:
        'A package imports only packages its package.json declares (dependencies or peerDependencies): ' +
        'installed from npm, nothing else is there.',
      severity: 'error',
      from: { path: '^packages/[^/]+/src/' },
      to: {
        dependencyTypes: ['npm-no-pkg', 'npm-unknown'],
        dependencyTypesNot: ['npm', 'npm-peer', 'npm-optional'],
      },
    },
    {
      name: 'dev-dependency-at-run-time',
      comment: 'src/ must not import a package declared only in devDependencies (absent when installed).',
      severity: 'error',
      from: { path: '^packages/[^/]+/src/' },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['npm', 'npm-peer', 'npm-optional'] },
    },
    {
      name: 'no-reaching-into-another-package',
      comment: 'Another package is imported by its name (its exports), never by a path into its files.',
      severity: 'error',
      from: { path: '^packages/([^/]+)/' },
      to: { path: '^packages/', pathNot: '^packages/$1/' },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'Every import resolves.',
      severity: 'error',
      from: { path: '^packages/[^/]+/src/' },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(dist|test|node_modules/\\.vite)/' },
    preserveSymlinks: true,
    combinedDependencies: false,
    parser: 'swc',
    tsPreCompilationDeps: true,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['source', 'import', 'node', 'default'],
      extensions: ['.ts', '.js', '.json'],
      mainFields: ['module', 'main'],
    },
  },
};
