-- Identity links (topic identities): an anonymous id linked to a user by an identify or alias call. The enricher
-- emits a link once, when it is first made, and refuses a second user for the same anonymous id, so there is one
-- user per anonymous id; queries still take the first link (argMin) should an older pipeline have written two.
-- ReplacingMergeTree collapses a link delivered twice.
CREATE TABLE IF NOT EXISTS identities
(
    anonymous_id String,
    user_id      String,
    first_linked DateTime64(3, 'UTC') COMMENT 'event time of the call that made the link',
    source       LowCardinality(String) COMMENT 'identify or alias',
    message_id   String COMMENT 'that call''s messageId',
    inserted_at  DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree
ORDER BY (anonymous_id, user_id);

-- One row per person: events are attributed to their own user id, else to the user their anonymous id is linked to
-- (so a shopper's anonymous browsing before login counts as theirs), else to the anonymous id. user_key is that
-- person key; anonymous_ids lists the anonymous ids attributed to them.
CREATE OR REPLACE VIEW user_profiles AS
SELECT
    person AS user_key,
    any(person_user_id) AS known_user_id,
    groupUniqArrayIf(assumeNotNull(anonymous_id), anonymous_id IS NOT NULL) AS anonymous_ids,
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
FROM
(
    SELECT
        e.anonymous_id AS anonymous_id,
        e.session_id AS session_id,
        e.event_time AS event_time,
        e.kind AS kind,
        e.revenue AS revenue,
        e.category AS category,
        coalesce(e.user_id, nullIf(l.linked_user_id, '')) AS person_user_id,
        ifNull(person_user_id, e.user_key) AS person
    FROM (SELECT * FROM events FINAL) AS e
    LEFT JOIN
    (
        SELECT anonymous_id, argMin(user_id, first_linked) AS linked_user_id
        FROM identities
        GROUP BY anonymous_id
    ) AS l ON ifNull(e.anonymous_id, '') = l.anonymous_id
)
GROUP BY person;
