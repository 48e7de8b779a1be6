-- Every model a trainer trained, promoted or not: what it learned, how it measured, and what was decided. Written by
-- the trainer after each fit (a retried insert of the same run collapses on run_id).
CREATE TABLE IF NOT EXISTS models
(
    model_name          LowCardinality(String),
    run_id              String,
    trained_at          DateTime64(3, 'UTC'),
    -- The version it was published under; NULL when it was not promoted (then it was never published).
    version             Nullable(UInt64),
    promoted            Bool,
    decision            String,
    algorithm           LowCardinality(String),
    feature_transform   LowCardinality(String),
    feature_names       Array(String),
    means               Array(Float64),
    stds                Array(Float64),
    weights             Array(Float64),
    intercept           Float64,
    -- Inputs left out of this fit, as name:reason (time: too few days of data; constant: carries nothing).
    dropped_inputs      Array(String),
    rows                UInt64,
    data_from           DateTime64(3, 'UTC'),
    data_to             DateTime64(3, 'UTC'),
    train_rows          UInt64,
    test_rows           UInt64,
    test_auc            Float64,
    test_log_loss       Float64,
    test_ece            Float64,
    holdout_from        DateTime64(3, 'UTC'),
    holdout_rows        UInt64,
    holdout_auc         Float64,
    holdout_log_loss    Float64,
    holdout_ece         Float64,
    -- Deciles of the predicted probability on the holdout: (highest prediction, rows, mean predicted, observed rate).
    holdout_calibration Array(Tuple(up_to Float64, rows UInt64, mean_predicted Float64, observed_rate Float64)),
    -- The promotion comparison: the live model and both models' metrics on the same holdout rows.
    live_version        Nullable(UInt64),
    compared_rows       UInt64,
    candidate_log_loss  Nullable(Float64),
    live_log_loss       Nullable(Float64),
    candidate_auc       Nullable(Float64),
    live_auc            Nullable(Float64),
    fit_ms              UInt32,
    fit_iterations      UInt16
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(trained_at)
ORDER BY (model_name, run_id);

-- Live calibration: mean predicted probability against observed conversion, by score bucket (tenths), for the
-- predictions of events in [from, to). A prediction is labelled as the trainer labels a snapshot: 1 when its session
-- purchased after the event; predictions at or after a session's first purchase are left out. Let `to` lag now by the
-- label delay (a younger session may still convert), e.g.
--   SELECT * FROM prediction_calibration(from = '2026-11-29 10:00:00', to = '2026-11-29 10:59:00')
CREATE VIEW IF NOT EXISTS prediction_calibration AS
SELECT
    p.model_name AS model_name,
    p.model_version AS model_version,
    least(toUInt8(floor(p.probability * 10)), 9) AS bucket,
    bucket / 10 AS score_from,
    (bucket + 1) / 10 AS score_to,
    count() AS predictions,
    uniqExact(p.session_id) AS sessions,
    avg(p.probability) AS mean_predicted,
    avg(toUInt8(b.purchases > 0 AND b.first_purchase_at > p.event_time)) AS observed_rate
FROM
(
    SELECT model_name, model_version, session_id, event_time, probability
    FROM predictions FINAL
    WHERE event_time >= {from:DateTime64(3)} AND event_time < {to:DateTime64(3)}
) AS p
LEFT JOIN
(
    SELECT session_id, count() AS purchases, min(event_time) AS first_purchase_at
    FROM events FINAL
    WHERE kind = 'purchase'
    GROUP BY session_id
) AS b ON b.session_id = p.session_id
WHERE b.purchases = 0 OR p.event_time < b.first_purchase_at
GROUP BY model_name, model_version, bucket
ORDER BY model_name, model_version, bucket;
