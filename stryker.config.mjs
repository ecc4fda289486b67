// Mutation testing of the library (`npm run mutate`, see scripts/mutate.mjs): StrykerJS mutates
// libs/tenancy/src and runs the Vitest suite (unit specs and the end-to-end tests on PostgreSQL)
// against each mutant. MUTATE_FOLDERS (comma-separated folders of libs/tenancy/src, e.g.
// "isolation,resolution", or files such as "provisioning/tenant-archive.ts") narrows the run; the
// whole library takes long.
import { globSync, readFileSync } from 'node:fs';
import ts from 'typescript';

const SOURCE = 'libs/tenancy/src';
const folders = (process.env.MUTATE_FOLDERS ?? '')
  .split(',')
  .map((folder) => folder.trim().replace(/\/+$/, ''))
  .filter(Boolean);

/** A file that holds only types (interfaces, type aliases): nothing to mutate. */
function typeOnly(file) {
  const { outputText } = ts.transpileModule(readFileSync(file, 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2023, removeComments: true },
  });
  return outputText.replace(/export \{\};?/, '').trim() === '';
}

// one report per selection of folders, so that runs of different folders can go side by side
const report =
  folders.length > 0 ? `reports/mutation/mutation-${folders.join('-').replaceAll('/', '_')}` : 'reports/mutation/mutation';

const patterns =
  folders.length > 0
    ? folders.map((folder) => (folder.endsWith('.ts') ? `${SOURCE}/${folder}` : `${SOURCE}/${folder}/**/*.ts`))
    : [`${SOURCE}/**/*.ts`];
const mutate = [...new Set(patterns.flatMap((pattern) => globSync(pattern)))]
  .filter((file) => !file.endsWith('.spec.ts'))
  // the CLI is tested as a process (test/cli*.e2e-spec.ts spawn the compiled dist/), which mutants never reach
  .filter((file) => !file.startsWith(`${SOURCE}/cli/`))
  .filter((file) => !typeOnly(file))
  .sort();
if (mutate.length === 0) {
  throw new Error(`MUTATE_FOLDERS="${process.env.MUTATE_FOLDERS}" selects no file to mutate under ${SOURCE}/.`);
}

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  // forks, as `npm test` runs (Stryker's default is threads): a worker thread's larger stack changes
  // how deep the SQL check can walk (test/sql-check-redteam.e2e-spec.ts, F9)
  vitest: { configFile: 'vitest.mutate.config.ts', pool: 'forks' },
  checkers: ['typescript'],
  // the library's sources only: with the whole project (apps, tests, bench) every mutant group made
  // the checker re-check every file importing the library, and the test runner waited on it
  tsconfigFile: 'tsconfig.mutate.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  mutate,
  // every spec except the CLI's, which runs the compiled dist/ in a child process
  testFiles: ['libs/**/*.spec.ts', 'apps/**/*.spec.ts', 'test/!(cli*).e2e-spec.ts'],
  coverageAnalysis: 'perTest',
  // The end-to-end tests build their app in beforeAll, so most mutants are also reached outside any
  // test ("static"), and Stryker would run every test for each. With ignoreStatic, a mutant some test
  // reaches runs with those tests only; one reached only while modules load or in beforeAll is
  // reported as ignored (module-level constants such as the SQL keyword sets). MUTATE_STATIC=1
  // tests those too, with every test of the run each: hours for the whole library with --all-tests, minutes
  // for a file with its unit specs.
  ignoreStatic: process.env.MUTATE_STATIC !== '1',
  // the machine is shared and the tests share one database: one worker unless --concurrency says otherwise
  concurrency: 1,
  // end-to-end tests wait on PostgreSQL: allow for a busy server before calling a mutant a timeout
  timeoutMS: 5_000,
  dryRunTimeoutMinutes: 15,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: `${report}.html` },
  jsonReporter: { fileName: `${report}.json` },
  clearTextReporter: { reportTests: false, logTests: false, reportMutants: true, reportScoreTable: true },
  thresholds: { high: 80, low: 60, break: null },
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
};
