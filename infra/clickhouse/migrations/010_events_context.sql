-- The enricher's context enrichments (README "Enrichments"): browser, OS, device type and bot flag from the user
-- agent, UTM campaign fields, referrer class and host. Rows from before these columns read NULL (is_bot 0).
-- LowCardinality where the values are a small vocabulary (browsers, systems, classes, campaign tags); the user
-- agent, term, content and referrer host are open-ended.
ALTER TABLE events
    ADD COLUMN IF NOT EXISTS user_agent      Nullable(String),
    ADD COLUMN IF NOT EXISTS browser_name    LowCardinality(Nullable(String)),
    ADD COLUMN IF NOT EXISTS browser_version LowCardinality(Nullable(String)),
    ADD COLUMN IF NOT EXISTS os_name         LowCardinality(Nullable(String)),
    ADD COLUMN IF NOT EXISTS os_version      LowCardinality(Nullable(String)),
    ADD COLUMN IF NOT EXISTS device_type     LowCardinality(Nullable(String)),
    ADD COLUMN IF NOT EXISTS is_bot          Bool DEFAULT false,
    ADD COLUMN IF NOT EXISTS utm_source      LowCardinality(Nullable(String)),
    ADD COLUMN IF NOT EXISTS utm_medium      LowCardinality(Nullable(String)),
    ADD COLUMN IF NOT EXISTS utm_campaign    LowCardinality(Nullable(String)),
    ADD COLUMN IF NOT EXISTS utm_term        Nullable(String),
    ADD COLUMN IF NOT EXISTS utm_content     Nullable(String),
    ADD COLUMN IF NOT EXISTS referrer_class  LowCardinality(Nullable(String)),
    ADD COLUMN IF NOT EXISTS referrer_host   Nullable(String);
