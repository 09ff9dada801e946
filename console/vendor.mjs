// Bundles the official realtime client (pinned in package-lock.json) into
// vendor/realtime-js.js, one ES module the page imports: nothing is fetched
// from the internet, and no node is needed, when the page runs.
// `npm ci && npm run vendor` here; tests/browser checks that the file in
// the tree is what this makes.
//
// Usage: node vendor.mjs [OUTFILE]   (default vendor/realtime-js.js)
import { readFileSync } from 'node:fs';
import { build } from 'esbuild';

const version = (pkg) => JSON.parse(readFileSync(new URL(`node_modules/${pkg}/package.json`, import.meta.url))).version;
const outfile = process.argv[2] ?? 'vendor/realtime-js.js';

await build({
  stdin: {
    contents: "export { RealtimeClient } from '@supabase/realtime-js';\n",
    resolveDir: new URL('.', import.meta.url).pathname,
    sourcefile: 'vendor-entry.js',
  },
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2020',
  legalComments: 'inline',
  outfile,
  logLevel: 'warning',
  banner: {
    js: `/* @supabase/realtime-js ${version('@supabase/realtime-js')} (MIT License, Copyright (c) 2020 Supabase)
 * and @supabase/phoenix ${version('@supabase/phoenix')} (MIT License, Copyright (c) 2014 Chris McCord),
 * bundled by esbuild ${version('esbuild')} from console/package-lock.json with
 * \`npm run vendor\` (console/vendor.mjs). Generated: do not edit. */`,
  },
});
