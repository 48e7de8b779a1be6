-- The feature vectors the enricher emitted, exactly as the scorer saw them: the trainer learns from these
-- rows so that training and serving use one feature implementation.
CREATE TABLE IF NOT EXISTS session_features
(
    user_key    String,
    session_id  String,
    message_id  String,
    event_kind  LowCardinality(String),
    event_time  DateTime64(3, 'UTC'),
    computed_at DateTime64(3, 'UTC'),
    features    Map(LowCardinality(String), Float64)
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(event_time)
ORDER BY (session_id, event_time, message_id);
