-- Analytics the pipeline answers out of the box. Parameterised views: call them like table functions, e.g.
--   SELECT * FROM funnel(from = '2024-05-01 00:00:00', to = '2024-05-02 00:00:00')

-- The purchase funnel per session, as conditional probabilities: P(view) · P(cart | view) · P(purchase | cart).
-- windowFunnel counts how far each session got through the steps in order within one hour.
CREATE VIEW IF NOT EXISTS funnel AS
SELECT
    count() AS sessions,
    countIf(level >= 1) AS viewed,
    countIf(level >= 2) AS added_to_cart,
    countIf(level >= 3) AS purchased,
    viewed / sessions AS p_view,
    if(viewed = 0, 0, added_to_cart / viewed) AS p_cart_given_view,
    if(added_to_cart = 0, 0, purchased / added_to_cart) AS p_purchase_given_cart,
    p_view * p_cart_given_view * p_purchase_given_cart AS p_purchase
FROM
(
    SELECT
        session_id,
        windowFunnel(3600)(toDateTime(event_time), kind = 'page_view', kind = 'add_to_cart', kind = 'purchase') AS level
    FROM events FINAL
    WHERE event_time >= {from:DateTime64(3)} AND event_time < {to:DateTime64(3)}
    GROUP BY session_id
);

-- One row per user: activity, value and interests, for segmentation and CRM exports.
CREATE VIEW IF NOT EXISTS user_profiles AS
SELECT
    user_key,
    any(user_id) AS known_user_id,
    min(event_time) AS first_seen,
    max(event_time) AS last_seen,
    uniqExact(session_id) AS sessions,
    count() AS events,
    countIf(kind = 'page_view') AS page_views,
    countIf(kind = 'search') AS searches,
    countIf(kind = 'add_to_cart') AS add_to_carts,
    countIf(kind = 'purchase') AS purchases,
    sumIf(revenue, kind = 'purchase') AS total_revenue,
    arrayFilter(c -> c != '', topK(3)(ifNull(category, ''))) AS top_categories
FROM events FINAL
GROUP BY user_key;

-- The newest score of each user. NOTE: aliases differ from column names: ClickHouse resolves an alias before a
-- column of the same name, which would nest aggregates.
CREATE VIEW IF NOT EXISTS latest_predictions AS
SELECT
    user_key,
    argMax(session_id, predicted_at) AS latest_session_id,
    argMax(probability, predicted_at) AS latest_probability,
    argMax(model_version, predicted_at) AS latest_model_version,
    max(predicted_at) AS last_predicted_at
FROM predictions
GROUP BY user_key;
