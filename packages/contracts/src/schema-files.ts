import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

/**
 * The schemas/ folder, the single source of truth for every topic value: TELLTALE_SCHEMAS_DIR, else dist/schemas
 * beside a production bundle (the build copies it there, and __dirname is then dist/), else the repository's.
 */
export const SCHEMAS_DIR = process.env.TELLTALE_SCHEMAS_DIR ?? besideBundleOr(path.join(__dirname, 'schemas'), path.resolve(__dirname, '../../../schemas'));

function besideBundleOr(bundled: string, repository: string): string {
  return existsSync(bundled) ? bundled : repository;
}

export interface SchemaFile {
  file: string;
  schema: Record<string, unknown>;
}

export function readSchemaFile(file: string, dir = SCHEMAS_DIR): SchemaFile {
  const schema = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as Record<string, unknown>;
  return { file, schema };
}

/** The current schemas, one per topic value. */
export function listSchemaFiles(dir = SCHEMAS_DIR): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.avsc'))
    .sort();
}

/**
 * Earlier versions of the schemas (schemas/history/*.avsc). Messages written with them may still sit in a topic,
 * so every reader keeps them to resolve those messages against the current schema.
 */
export function listHistorySchemaFiles(dir = SCHEMAS_DIR): string[] {
  const history = path.join(dir, 'history');
  if (!existsSync(history)) return [];
  return readdirSync(history)
    .filter((f) => f.endsWith('.avsc'))
    .sort()
    .map((f) => path.join('history', f));
}
