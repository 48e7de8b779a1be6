import { Counter, Gauge, type Registry } from '@telltale/runtime';

// NOTE: metrics are looked up before they are created: a process may run a BatchConsumer and a topic follower
// (the scorer) on one registry, and prom-client refuses a second metric of the same name.
function counter<L extends string>(registry: Registry, name: string, help: string, labelNames: L[]): Counter<L> {
  return (registry.getSingleMetric(name) as Counter<L> | undefined) ?? new Counter({ name, help, labelNames, registers: [registry] });
}

function gauge<L extends string>(registry: Registry, name: string, help: string, labelNames: L[]): Gauge<L> {
  return (registry.getSingleMetric(name) as Gauge<L> | undefined) ?? new Gauge({ name, help, labelNames, registers: [registry] });
}

/** kafkajs consumer crashes; restart="false" means the consumer is gone and the process must be restarted. */
export function crashCounter(registry: Registry): Counter<'group' | 'restart'> {
  return counter(registry, 'telltale_kafka_consumer_crashes_total', 'Consumer crashes, by whether kafkajs restarts the consumer', ['group', 'restart']);
}

export interface ConsumerMetrics {
  consumed: Counter<'topic'>;
  undecodable: Counter<'topic'>;
  lag: Gauge<'topic' | 'partition'>;
  crashes: Counter<'group' | 'restart'>;
}

export function consumerMetrics(registry: Registry): ConsumerMetrics {
  return {
    consumed: counter(registry, 'telltale_kafka_consumed_records_total', 'Records processed and committed', ['topic']),
    undecodable: counter(
      registry,
      'telltale_kafka_undecodable_records_total',
      'Records that were not valid Avro for their topic (sent to the dead-letter topic)',
      ['topic'],
    ),
    lag: gauge(
      registry,
      'telltale_kafka_consumer_lag',
      'Records between the committed offset and the high watermark, per assigned partition (refreshed periodically, so a stalled consumer shows)',
      ['topic', 'partition'],
    ),
    crashes: crashCounter(registry),
  };
}
