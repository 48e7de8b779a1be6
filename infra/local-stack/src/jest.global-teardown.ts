import { rmSync } from 'node:fs';

export default async function globalTeardown(): Promise<void> {
  const infra = globalThis.__telltaleInfra;
  if (!infra) return;
  await infra.clickhouse.stop();
  await infra.kafka.stop();
  for (const dir of infra.scratchDirs) rmSync(dir, { recursive: true, force: true });
}
