/**
 * The CSV columns of every exportable list, read from the OpenAPI spec once
 * at start-up, so that the header row is known before the first record and
 * the same whatever the records hold.
 *
 * A list is exportable when its 200 response offers text/csv. Its columns are
 * the properties of the JSON page's `items`, in the spec's order; a property
 * that is an object with properties of its own becomes one column per leaf
 * (`terms.unitPrice`), and anything else (arrays, maps) one column holding
 * JSON. Item schemas that are a oneOf/anyOf/allOf get the union of their
 * variants' properties, in order of first appearance.
 */
import type { CsvColumns } from './lists';

type Schema = Record<string, unknown>;

/** Follows local `$ref`s (`#/components/...`) until a schema without one. */
function resolve(spec: Schema, schema: unknown): Schema {
  let current = schema as Schema;
  for (let depth = 0; typeof current?.$ref === 'string'; depth++) {
    if (depth > 32) throw new Error(`$ref loop at ${String(current.$ref)}`);
    const path = current.$ref.replace(/^#\//, '').split('/');
    current = path.reduce<unknown>((node, key) => (node as Schema | undefined)?.[key], spec) as Schema;
    if (current === undefined) throw new Error(`unresolved $ref ${String(schema)}`);
  }
  return current ?? {};
}

/** The named properties of an object schema, merging the variants of a composed one. */
function propertiesOf(spec: Schema, schema: Schema): [string, unknown][] {
  const seen = new Map<string, unknown>();
  const visit = (node: Schema): void => {
    for (const [name, property] of Object.entries((node.properties as Schema | undefined) ?? {})) {
      if (!seen.has(name)) seen.set(name, property);
    }
    for (const key of ['allOf', 'oneOf', 'anyOf']) {
      for (const variant of (node[key] as unknown[] | undefined) ?? []) visit(resolve(spec, variant));
    }
  };
  visit(schema);
  return [...seen];
}

function leaves(spec: Schema, schema: Schema, prefix: string, depth: number): string[] {
  return propertiesOf(spec, schema).flatMap(([name, property]) => {
    const resolved = resolve(spec, property);
    const nested = depth < 4 && propertiesOf(spec, resolved).length > 0 && resolved.type !== 'array';
    return nested ? leaves(spec, resolved, `${prefix}${name}.`, depth + 1) : [`${prefix}${name}`];
  });
}

/** The columns of each list whose 200 response offers text/csv, by its OpenAPI path. */
export function csvColumnsOf(spec: Schema): CsvColumns {
  const columns = new Map<string, string[]>();
  for (const [path, item] of Object.entries((spec.paths as Schema | undefined) ?? {})) {
    const content = resolve(spec, ((resolve(spec, (item as Schema).get)?.responses as Schema | undefined) ?? {})['200'])?.content as
      Schema | undefined;
    if (content?.['text/csv'] === undefined) continue;
    const page = resolve(spec, (content['application/json'] as Schema | undefined)?.schema);
    const items = resolve(spec, resolve(spec, (page.properties as Schema | undefined)?.items).items);
    const names = leaves(spec, items, '', 0);
    if (names.length === 0) throw new Error(`${path}: offers text/csv but its items declare no properties`);
    columns.set(path, names);
  }
  return columns;
}
