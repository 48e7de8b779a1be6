// Generates src/generated/types.ts from schemas/*.avsc so TypeScript types cannot drift from the contract.
// Run `pnpm --filter @telltale/contracts generate` after editing a schema; a unit test fails while the
// checked-in file differs from what this produces.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { listSchemaFiles, readSchemaFile } from './schema-files';

type AvroSchema = string | AvroSchema[] | { [key: string]: unknown };

const PRIMITIVES: Record<string, string> = {
  null: 'null',
  boolean: 'boolean',
  int: 'number',
  long: 'number',
  float: 'number',
  double: 'number',
  bytes: 'Buffer',
  string: 'string',
};

export const GENERATED_TYPES_PATH = path.join(__dirname, 'generated', 'types.ts');

export function generateTypes(): string {
  const declarations = new Map<string, string>();

  function tsType(schema: AvroSchema): string {
    if (typeof schema === 'string') {
      const primitive = PRIMITIVES[schema];
      if (primitive) return primitive;
      return schema.split('.').pop()!; // a named type defined earlier
    }
    if (Array.isArray(schema)) return schema.map(tsType).join(' | ');
    const kind = schema.type as AvroSchema;
    if (kind === 'record') return declareRecord(schema);
    if (kind === 'enum') {
      const name = schema.name as string;
      const symbols = (schema.symbols as string[]).map((s) => `'${s}'`).join(' | ');
      declarations.set(name, `export type ${name} = ${symbols};\n`);
      return name;
    }
    if (kind === 'array') return `Array<${tsType(schema.items as AvroSchema)}>`;
    if (kind === 'map') return `Record<string, ${tsType(schema.values as AvroSchema)}>`;
    return tsType(kind);
  }

  function declareRecord(schema: { [key: string]: unknown }): string {
    const name = schema.name as string;
    const fields = schema.fields as Array<{ name: string; type: AvroSchema; doc?: string }>;
    const lines = fields.map((f) => {
      const doc = f.doc ? `  /** ${f.doc} */\n` : '';
      return `${doc}  ${f.name}: ${tsType(f.type)};`;
    });
    const doc = schema.doc ? `/** ${schema.doc as string} */\n` : '';
    declarations.set(name, `${doc}export interface ${name} {\n${lines.join('\n')}\n}\n`);
    return name;
  }

  for (const file of listSchemaFiles()) {
    const { schema } = readSchemaFile(file);
    tsType(schema as AvroSchema);
  }
  const header = '// GENERATED from schemas/*.avsc by src/generate-types.ts. Do not edit by hand.\n';
  return [header, ...[...declarations.values()]].join('\n');
}

if (require.main === module) {
  writeFileSync(GENERATED_TYPES_PATH, generateTypes());
  console.log(`wrote ${GENERATED_TYPES_PATH}`);
}
