-- What the pipeline refused, queryable: SELECT stage, reason, count() FROM dead_letters GROUP BY stage, reason.
-- The records stay in the events.dlq topic too (for replay); here they expire after 30 days.
CREATE TABLE IF NOT EXISTS dead_letters
(
    stage            LowCardinality(String),
    reason           String,
    field            Nullable(String),
    source_topic     LowCardinality(Nullable(String)),
    source_partition Nullable(Int32),
    source_offset    Nullable(Int64),
    key              Nullable(String),
    payload_base64   String COMMENT 'the refused bytes (Avro or JSON as received), base64',
    failed_at        DateTime64(3, 'UTC')
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(failed_at)
ORDER BY (stage, failed_at)
TTL toDateTime(failed_at) + INTERVAL 30 DAY;
