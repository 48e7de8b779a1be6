import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

/** The repository's schemas/ folder: the single source of truth for every topic value. */
export const SCHEMAS_DIR = process.env.TELLTALE_SCHEMAS_DIR ?? path.resolve(__dirname, '../../../schemas');

export interface SchemaFile {
  file: string;
  schema: Record<string, unknown>;
}

export function readSchemaFile(file: string): SchemaFile {
  const schema = JSON.parse(readFileSync(path.join(SCHEMAS_DIR, file), 'utf8')) as Record<string, unknown>;
  return { file, schema };
}

export function listSchemaFiles(): string[] {
  return readdirSync(SCHEMAS_DIR)
    .filter((f) => f.endsWith('.avsc'))
    .sort();
}
