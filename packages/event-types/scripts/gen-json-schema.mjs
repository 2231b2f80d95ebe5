#!/usr/bin/env node
// Writes dist/schemas/<schemaId>.json (JSON Schema draft 2020-12, generated from the zod schemas) for every
// entry of the registry, plus dist/schemas/index.json listing them. Run after the JS build (tsup's onSuccess).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const { REGISTRY, jsonSchemaText } = await import(pathToFileURL(join(pkgDir, 'dist', 'index.js')).href);
const outDir = join(pkgDir, 'dist', 'schemas');
mkdirSync(outDir, { recursive: true });
const index = [];
for (const e of REGISTRY) {
  const file = `${e.schemaId}.json`;
  writeFileSync(join(outDir, file), jsonSchemaText(e.schemaId));
  index.push({ schemaId: e.schemaId, subject: e.subject, name: e.name, extension: e.extension, file });
}
writeFileSync(join(outDir, 'index.json'), JSON.stringify(index, null, 2) + '\n');
console.log(`gen-json-schema: wrote ${index.length} schemas to ${outDir}`);
