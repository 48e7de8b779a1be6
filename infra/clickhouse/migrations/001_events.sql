-- Clean events, one row per event. ReplacingMergeTree with message_id in the sorting key collapses the
-- duplicates that at-least-once delivery can create (a replayed batch after a crash) at merge time;
-- queries that must be exact use FINAL or count(DISTINCT message_id).
CREATE TABLE IF NOT EXISTS events
(
    message_id   String,
    type         LowCardinality(String),
    event        LowCardinality(String),
    kind         LowCardinality(String),
    user_key     String,
    user_id      Nullable(String),
    anonymous_id Nullable(String),
    session_id   String,
    event_time   DateTime64(3, 'UTC'),
    received_at  DateTime64(3, 'UTC'),
    enriched_at  DateTime64(3, 'UTC'),
    inserted_at  DateTime64(3, 'UTC') DEFAULT now64(3),
    hour_of_day  UInt8,
    day_of_week  UInt8,
    page_url     Nullable(String),
    page_path    Nullable(String),
    referrer     Nullable(String),
    product_id   Nullable(String),
    category     LowCardinality(Nullable(String)),
    price        Nullable(Float64),
    quantity     Nullable(Int32),
    revenue      Nullable(Float64),
    search_query Nullable(String),
    properties   String COMMENT 'JSON object text'
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(event_time)
ORDER BY (user_key, event_time, message_id);
