-- The funnel view (004) without FINAL: the live view asks it every refresh, and FINAL made each call merge the
-- window's parts. A duplicate event (at-least-once delivery, not yet merged) changes nothing here: a session is
-- one row of the GROUP BY however many copies its events have, and windowFunnel reaches the same step with a
-- repeated event. The event_time filter is what bounds the call: event_time is the partition column, so ClickHouse
-- reads only the parts whose time range meets the window, however long the history.
CREATE OR REPLACE VIEW funnel AS
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
    FROM events
    WHERE event_time >= {from:DateTime64(3)} AND event_time < {to:DateTime64(3)}
    GROUP BY session_id
);
