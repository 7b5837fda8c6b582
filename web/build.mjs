// Bundles the explorer into dist/ (embedded into the Go binary) and records
// a hash of its sources in dist/SOURCES.sha256, which a Go test compares
// with the sources so a stale dist/ cannot be committed unnoticed.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

// sourceFiles must list the same files as sourceFiles in dist_test.go.
function sourceFiles() {
  const src = readdirSync('src').filter((f) => !f.startsWith('.')).map((f) => 'src/' + f);
  return [...src, 'build.mjs', 'package-lock.json', 'tsconfig.json'].sort();
}

function sourceHash() {
  const h = createHash('sha256');
  for (const f of sourceFiles()) {
    h.update(f + '\n');
    h.update(readFileSync(f));
    h.update('\n');
  }
  return h.digest('hex');
}

rmSync('dist', { recursive: true, force: true });
mkdirSync('dist');
await build({
  entryPoints: ['src/main.ts'],
  bundle: true,
  minify: true,
  format: 'iife',
  target: 'es2020',
  outfile: 'dist/app.js',
  legalComments: 'linked',
  logLevel: 'warning',
});
copyFileSync('src/index.html', 'dist/index.html');
copyFileSync('src/style.css', 'dist/style.css');
writeFileSync('dist/SOURCES.sha256', sourceHash() + '\n');
console.log('built dist/ from', sourceFiles().length, 'source files');
