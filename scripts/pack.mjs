// `npm run pack`: builds the library and writes nestjs-tenancy-<version>.tgz at the repo root.
// The last line of output is the tarball's path.
import { execFileSync } from 'node:child_process';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const library = join(root, 'libs/tenancy');
const npm = (args, cwd) => execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });

process.stderr.write(npm(['run', 'build'], library));
// one README and LICENSE for the repository and the package
copyFileSync(join(root, 'README.md'), join(library, 'README.md'));
copyFileSync(join(root, 'LICENSE'), join(library, 'LICENSE'));
const [packed] = JSON.parse(npm(['pack', '--json', '--pack-destination', root], library));
process.stdout.write(`${packed.files.length} files, ${packed.size} bytes packed, ${packed.unpackedSize} unpacked\n`);
process.stdout.write(`${join(root, packed.filename)}\n`);
