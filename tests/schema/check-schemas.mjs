// realtime-gateway
// SPDX-License-Identifier: LGPL-2.1-or-later
//
// check-schemas.mjs: docs/schema checked by a second, independent
// implementation (ajv, pinned in package-lock.json), as run-ajv.sh runs it:
//   - every schema DIR/*.json is valid against the JSON Schema 2020-12
//     meta-schema, its $id is its file name, and it compiles in ajv's strict
//     mode (no unknown keyword, every $ref resolves);
//   - every example DIR/examples/NAME.CASE.json is valid against NAME.json;
//   - every message schema has at least one example (common.json and
//     NAME-common.json hold shared definitions, not messages);
//   - every ```js block of DIR/../CONTRACT.md is a valid ES module
//     (node --check; the blocks are examples for dashboard authors).
//
//   node check-schemas.mjs DIR
//
// Prints "PASS what" or "FAIL what: why" per check, then "N passed, N failed";
// exits 1 when any check failed.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import Ajv2020 from 'ajv/dist/2020.js';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: check-schemas.mjs DIR');
  process.exit(2);
}

let passed = 0;
let failed = 0;
function pass(what) {
  passed++;
  console.log(`PASS ${what}`);
}
function fail(what, why) {
  failed++;
  console.log(`FAIL ${what}: ${why}`);
}

function errorsText(errors) {
  return (errors ?? [])
    .map((e) => `${e.instancePath || '/'} ${e.message}${e.params ? ' ' + JSON.stringify(e.params) : ''}`)
    .join('; ');
}

function readJson(path) {
  return JSON.parse(readFileSync(path, 'utf8'));
}

// Strict: an unknown keyword or format is an error, not an annotation.
// Union types ("type": ["number", "string"]) are plain JSON Schema.
const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true });

const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
const schemas = new Map();
for (const file of files) {
  let schema;
  try {
    schema = readJson(join(dir, file));
  } catch (e) {
    fail(`schema ${file}`, `not JSON: ${e.message}`);
    continue;
  }
  if (schema.$schema !== 'https://json-schema.org/draft/2020-12/schema') {
    fail(`schema ${file}`, `$schema is ${JSON.stringify(schema.$schema)}, not draft 2020-12`);
    continue;
  }
  if (schema.$id !== file) {
    fail(`schema ${file}`, `$id is ${JSON.stringify(schema.$id)}, not the file name`);
    continue;
  }
  if (!ajv.validateSchema(schema)) {
    fail(`schema ${file}`, `not valid against the 2020-12 meta-schema: ${errorsText(ajv.errors)}`);
    continue;
  }
  ajv.addSchema(schema);
  schemas.set(file, schema);
}
// Compiled once all are added: references between files resolve.
for (const file of schemas.keys()) {
  try {
    ajv.getSchema(file);
    pass(`schema ${file}`);
  } catch (e) {
    fail(`schema ${file}`, `does not compile: ${e.message}`);
    schemas.delete(file);
  }
}

const examplesDir = join(dir, 'examples');
const exampled = new Set();
for (const file of readdirSync(examplesDir).filter((f) => f.endsWith('.json')).sort()) {
  const target = `${file.split('.')[0]}.json`;
  if (!schemas.has(target)) {
    fail(`example ${file}`, `no valid schema ${target} for it`);
    continue;
  }
  let instance;
  try {
    instance = readJson(join(examplesDir, file));
  } catch (e) {
    fail(`example ${file}`, `not JSON: ${e.message}`);
    continue;
  }
  const validate = ajv.getSchema(target);
  if (validate(instance)) {
    pass(`example ${file}`);
    exampled.add(target);
  } else {
    fail(`example ${file}`, `not valid against ${target}: ${errorsText(validate.errors)}`);
  }
}
// Shared definitions, not messages: no example of their own.
function isDefinitions(file) {
  return file === 'common.json' || file.endsWith('-common.json');
}
for (const file of schemas.keys()) {
  if (!isDefinitions(file) && !exampled.has(file)) {
    fail(`examples of ${file}`, `no valid example examples/${file.replace(/\.json$/, '')}.*.json`);
  }
}

const contract = readFileSync(join(dir, '..', 'CONTRACT.md'), 'utf8');
const blocks = [...contract.matchAll(/^```js\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
if (blocks.length === 0) {
  fail('CONTRACT.md js examples', 'no ```js block found');
}
const tmp = mkdtempSync(join(tmpdir(), 'contract-js-'));
blocks.forEach((code, i) => {
  const file = join(tmp, `example-${i}.mjs`);
  writeFileSync(file, code);
  const r = spawnSync(process.execPath, ['--check', file], { encoding: 'utf8' });
  if (r.status === 0) {
    pass(`CONTRACT.md js example ${i + 1}`);
  } else {
    fail(`CONTRACT.md js example ${i + 1}`, (r.stderr || '').trim().split('\n').slice(0, 5).join(' | '));
  }
});
rmSync(tmp, { recursive: true, force: true });

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
