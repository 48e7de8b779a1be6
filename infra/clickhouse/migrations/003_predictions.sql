CREATE TABLE IF NOT EXISTS predictions
(
    user_key      String,
    session_id    String,
    message_id    String,
    model_name    LowCardinality(String),
    model_version UInt64,
    probability   Float64,
    event_time    DateTime64(3, 'UTC'),
    predicted_at  DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(predicted_at)
ORDER BY (user_key, message_id, model_name, model_version);
