// `node scripts/mutate-static.mjs <report.json> [spec ...]`: tests the *static* mutants of a
// `npm run mutate` report (values computed when a module loads, such as the SQL check's keyword
// lists) one at a time, outside Stryker. Stryker 10's Vitest runner activates a mutant after the
// test files have imported the library when a run names its tests (stryker-js#6144, #6209), so with
// MUTATE_STATIC=1 such mutants come back "survived" whatever the tests do. Here each mutant is
// written into a copy of the project and the given specs run against it (default: the specs beside
// the mutated files); a mutant is killed when they fail. Runs against DATABASE_URL like `npm test`.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

const [reportFile, ...specs] = process.argv.slice(2);
if (!reportFile) {
  process.stderr.write('Usage: node scripts/mutate-static.mjs reports/mutation/<report>.json [spec ...]\n');
  process.exit(2);
}
const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const report = JSON.parse(readFileSync(reportFile, 'utf8'));
const mutants = Object.entries(report.files).flatMap(([file, { mutants }]) =>
  mutants.filter((mutant) => mutant.static && mutant.status !== 'CompileError').map((mutant) => ({ file, ...mutant })),
);
const files = [...new Set(mutants.map((mutant) => mutant.file))];
const tests = specs.length > 0 ? specs : [...new Set(files.map((file) => `${dirname(file)}/`))];

const sandbox = mkdtempSync(join(tmpdir(), 'tenancy-static-'));
const skip = new Set(['node_modules', '.git', 'reports', '.stryker-tmp', 'dist']);
cpSync(root, sandbox, { recursive: true, filter: (source) => !skip.has(source.slice(root.length + 1).split('/')[0]) });
symlinkSync(join(root, 'node_modules'), join(sandbox, 'node_modules'), 'dir');

for (const file of files) {
  if (readFileSync(join(root, file), 'utf8') !== report.files[file].source) {
    process.stderr.write(`${file} changed since the report was made: run npm run mutate again.\n`);
    process.exit(2);
  }
}

/** The offset of a report location (1-based line and column) in `source`. */
function offset(source, { line, column }) {
  const lines = source.split('\n');
  return lines.slice(0, line - 1).reduce((sum, text) => sum + text.length + 1, 0) + column - 1;
}

const vitest = () => spawnSync('npx', ['vitest', 'run', ...tests], { cwd: sandbox, stdio: 'ignore', env: process.env }).status;
const survivors = [];
let killed = 0;
try {
  if (vitest() !== 0) {
    throw new Error(`The specs fail without any mutant (npx vitest run ${tests.join(' ')}): fix them first.`);
  }
  for (const [index, mutant] of mutants.entries()) {
    const path = join(sandbox, mutant.file);
    const original = readFileSync(path, 'utf8');
    const mutated =
      original.slice(0, offset(original, mutant.location.start)) +
      mutant.replacement +
      original.slice(offset(original, mutant.location.end));
    writeFileSync(path, mutated);
    try {
      const status = vitest();
      const where = `${mutant.file}:${mutant.location.start.line}:${mutant.location.start.column}`;
      if (status === 0) {
        survivors.push(`${where} ${mutant.mutatorName} → ${mutant.replacement}`);
      } else {
        killed += 1;
      }
      process.stdout.write(`${index + 1}/${mutants.length} ${status === 0 ? 'SURVIVED' : 'killed'} ${where}\n`);
    } finally {
      writeFileSync(path, original);
    }
  }
} finally {
  rmSync(sandbox, { recursive: true, force: true });
}
process.stdout.write(
  `\nStatic mutants: ${mutants.length}, killed ${killed}, survived ${survivors.length}` +
    `${mutants.length > 0 ? ` (${((100 * killed) / mutants.length).toFixed(1)} %)` : ''}\n${survivors.join('\n')}\n`,
);
process.exitCode = survivors.length > 0 ? 1 : 0;
