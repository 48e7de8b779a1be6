export default async function globalTeardown(): Promise<void> {
  const infra = globalThis.__telltaleInfra;
  if (!infra) return;
  await infra.clickhouse.stop();
  await infra.kafka.stop();
}
