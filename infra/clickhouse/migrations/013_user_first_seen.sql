-- When each user key was first seen, kept by ClickHouse as events arrive (a materialized view into an aggregating
-- table), so retention's cohorts read one row per visitor instead of every event of all history (issue 17, section 3).
-- SimpleAggregateFunction(min): a merge keeps the smallest; a duplicate or late event changes nothing but lowers it.
CREATE TABLE IF NOT EXISTS user_first_seen
(
    user_key   String,
    first_seen SimpleAggregateFunction(min, DateTime64(3, 'UTC'))
)
ENGINE = AggregatingMergeTree
ORDER BY user_key;

CREATE MATERIALIZED VIEW IF NOT EXISTS user_first_seen_mv TO user_first_seen AS
SELECT user_key, min(event_time) AS first_seen
FROM events
GROUP BY user_key;

-- The events from before the view. NOTE: events arriving while this runs may be counted by both: min is idempotent.
INSERT INTO user_first_seen
SELECT user_key, min(event_time) AS first_seen
FROM events
GROUP BY user_key;
