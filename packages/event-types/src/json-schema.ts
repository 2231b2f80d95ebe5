/**
 * JSON Schema (draft 2020-12) of each schema id, generated from the zod schemas. The bigint nanosecond fields
 * become JSON integers bounded by the int64 range; the bounds are exact in the text (jsonSchemaText) and
 * bigint in the object form (jsonSchemaFor). An MBP10 level's "empty side has size 0" rule is expressed
 * with if/then.
 */
import { z } from 'zod';
import { lookup } from './registry.js';
import { EMPTY_SIDES, INT64_MAX, INT64_MIN, MBP10LevelSchema } from './schemas.js';

export const JSON_SCHEMA_BASE_URI = 'https://md.invalid/schemas/';

const MIN_MARK = '@@INT64_MIN@@';
const MAX_MARK = '@@INT64_MAX@@';

function unmark(v: unknown): unknown {
  if (v === MIN_MARK) return INT64_MIN;
  if (v === MAX_MARK) return INT64_MAX;
  if (Array.isArray(v)) return v.map(unmark);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unmark(x)]));
  return v;
}

/** The JSON Schema of a subject's / schema id's events, as an object (int64 bounds are bigint values). */
export function jsonSchemaFor(subjectOrSchemaId: string): Record<string, unknown> {
  return unmark(marked(subjectOrSchemaId)) as Record<string, unknown>;
}

function marked(subjectOrSchemaId: string): Record<string, unknown> {
  const e = lookup(subjectOrSchemaId);
  const body = z.toJSONSchema(e.schema, {
    target: 'draft-2020-12',
    unrepresentable: 'any', // only the bigint fields; the override below describes them
    override: (ctx) => {
      const zs = ctx.zodSchema as { _zod: { def: { type: string } } };
      const js = ctx.jsonSchema as Record<string, unknown>;
      if (zs._zod.def.type === 'bigint') {
        for (const k of Object.keys(js)) delete js[k];
        js.type = 'integer';
        // zod round-trips the result through JSON: bigint bounds go in as markers, replaced afterwards
        js.minimum = MIN_MARK;
        js.maximum = MAX_MARK;
        js.description = 'Unix nanoseconds UTC, an exact 64-bit integer';
      }
      if ((ctx.zodSchema as unknown) === MBP10LevelSchema) {
        js.allOf = EMPTY_SIDES.map(({ px, sz }) => ({
          if: { properties: { [px]: { type: 'null' } }, required: [px] },
          then: { properties: { [sz]: { const: 0 } } },
        }));
      }
    },
  }) as Record<string, unknown>;
  const { $schema, ...rest } = body;
  return {
    $schema,
    $id: `${JSON_SCHEMA_BASE_URI}${e.schemaId}.json`,
    title: e.name,
    description:
      `${e.name} (schema id ${e.schemaId}, subject ${e.subject})` +
      (e.extension ? '; an extension of the event contract' : '') +
      '. Compact JSON, keys in the order of "properties"; floats as Python json.dumps writes them.',
    ...rest,
  };
}

/** The JSON Schema of a subject's / schema id's events as JSON text, with exact int64 bounds. */
export function jsonSchemaText(subjectOrSchemaId: string): string {
  const text = JSON.stringify(marked(subjectOrSchemaId), null, 2);
  return text.replaceAll(`"${MIN_MARK}"`, INT64_MIN.toString()).replaceAll(`"${MAX_MARK}"`, INT64_MAX.toString()) + '\n';
}
