-- When the collector received the scored event: predicted_at - received_at is the pipeline's receipt-to-prediction
-- latency. Rows written before the field existed carry the epoch (their Avro default was 0).
ALTER TABLE predictions ADD COLUMN IF NOT EXISTS received_at DateTime64(3, 'UTC') DEFAULT toDateTime64(0, 3, 'UTC');
