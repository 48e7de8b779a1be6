import { toClickHouseTime } from '@telltale/clickhouse';
import type { z } from 'zod';
import { parseStep, type activeParams, type calibrationParams, type funnelParams, type retentionParams, type topParams } from './query-params';

// The analytics queries as SQL text and parameters (pure: tests read the text, the runner sends it). Every value is a
// query parameter; the parts of the text that vary are chosen here from fixed sets, never copied from a caller.
//
// NOTE: who a person is. Events are attributed to their own userId, else to the user their anonymousId is linked to
// (identities, the first link), else to the anonymousId: the rule of migration 009's user_profiles. Retention and
// active users count persons, so a shopper who browses anonymously and logs in later is one person, not two.
//
// NOTE: duplicates. At-least-once delivery can leave an event twice until ClickHouse merges; counts of events are
// uniqExact(message_id) and counts of sessions and persons are distinct by nature, so no query needs FINAL.

export interface Query {
  query: string;
  query_params: Record<string, unknown>;
}

type Parsed<S extends z.ZodTypeAny> = z.output<S>;

const window = (p: { from: number; to: number }) => ({ from: toClickHouseTime(p.from), to: toClickHouseTime(p.to) });

/** Events with the person each belongs to; `where` is one of this file's fixed conditions. */
function personEvents(where: string): string {
  return `SELECT if(e.user_id IS NULL AND ifNull(l.user_id, '') != '', l.user_id, e.user_key) AS person, e.event_time AS event_time
          FROM events AS e
          LEFT JOIN (SELECT anonymous_id, argMin(user_id, first_linked) AS user_id FROM identities GROUP BY anonymous_id) AS l
            ON ifNull(e.anonymous_id, '') = l.anonymous_id
          WHERE ${where}`;
}

/** SQL of each funnel dimension: the value of the session's first event in the window. */
const DIMENSION_SQL = {
  source: 'argMin(source, event_time)',
  device_type: "argMin(ifNull(device_type, ''), event_time)",
  referrer_class: "argMin(ifNull(referrer_class, ''), event_time)",
  campaign: "argMin(ifNull(utm_campaign, ''), event_time)",
} as const;

/**
 * Sessions with events in [from, to) and how far each got through the steps in order, each step within `window`
 * seconds of the first (windowFunnel: a step done before the previous one, or after the window, does not count), by
 * the dimension when one is asked for.
 */
export function funnelQuery(p: Parsed<typeof funnelParams>): Query {
  const steps = p.steps.map(parseStep);
  const params: Record<string, unknown> = { ...window(p), window: p.window };
  const conditions = steps.map((s, i) => {
    params[`s${i}`] = s.value;
    return `${s.by === 'event' ? 'event' : 'kind'} = {s${i}:String}`;
  });
  const reached = steps.map((_, i) => `countIf(level >= ${i + 1})`).join(', ');
  return {
    query: `SELECT dimension, count() AS sessions, [${reached}] AS reached
            FROM
            (
                SELECT session_id, ${p.by ? DIMENSION_SQL[p.by] : "''"} AS dimension,
                       windowFunnel({window:UInt64})(toDateTime(event_time), ${conditions.join(', ')}) AS level
                FROM events
                WHERE event_time >= {from:DateTime64(3)} AND event_time < {to:DateTime64(3)}
                GROUP BY session_id
            )
            GROUP BY dimension
            ORDER BY sessions DESC, dimension`,
    query_params: params,
  };
}

const COHORT_SQL = { day: 'toDate(first_seen)', week: 'toMonday(toDate(first_seen))' } as const;
const PERIOD_SQL = {
  day: 'dateDiff(\'day\', f.cohort, toDate(a.event_time))',
  week: 'intDiv(dateDiff(\'day\', f.cohort, toMonday(toDate(a.event_time))), 7)',
} as const;

/**
 * Persons first seen in [from, to), by cohort (the day or the Monday-started week of their first event), and how many
 * of each cohort were active in each period after: period 0 is the cohort's own. First seen comes from user_first_seen
 * (migration 013: one row per user key, kept by a materialized view as events arrive), a person's being the earliest of
 * their keys'; the activity side reads only the events from `from` to the end of the last period. So the cost follows
 * the visitors and the window, not the whole history of events.
 */
export function retentionQuery(p: Parsed<typeof retentionParams>): Query {
  const unitDays = p.unit === 'day' ? 1 : 7;
  // The last period of the last cohort ends (periods + 1) units after `to` (a week cohort starts up to 6 days earlier).
  const until = p.to + (p.periods + 1) * unitDays * 86_400_000;
  return {
    query: `SELECT toString(f.cohort) AS cohort, ${PERIOD_SQL[p.unit]} AS period, uniqExact(a.person) AS people
            FROM (${personEvents('e.event_time >= {from:DateTime64(3)} AND e.event_time < {until:DateTime64(3)}')}) AS a
            INNER JOIN
            (
                SELECT person, ${COHORT_SQL[p.unit]} AS cohort
                FROM
                (
                    SELECT if(ifNull(l.user_id, '') != '', l.user_id, k.user_key) AS person, min(k.first_seen) AS first_seen
                    FROM (SELECT user_key, min(first_seen) AS first_seen FROM user_first_seen GROUP BY user_key) AS k
                    LEFT JOIN (SELECT anonymous_id, argMin(user_id, first_linked) AS user_id FROM identities GROUP BY anonymous_id) AS l
                      ON k.user_key = l.anonymous_id
                    GROUP BY person
                )
                WHERE first_seen >= {from:DateTime64(3)} AND first_seen < {to:DateTime64(3)}
            ) AS f ON a.person = f.person
            WHERE period <= {periods:UInt32}
            GROUP BY cohort, period
            ORDER BY cohort, period`,
    query_params: { ...window(p), until: toClickHouseTime(until), periods: p.periods },
  };
}

const ACTIVE_SQL = { day: 'toDate(event_time)', week: 'toMonday(toDate(event_time))', month: 'toStartOfMonth(toDate(event_time))' } as const;

/** Distinct persons with an event in each day, week (from Monday) or month of [from, to). */
export function activeQuery(p: Parsed<typeof activeParams>): Query {
  return {
    query: `SELECT toString(${ACTIVE_SQL[p.unit]}) AS period, uniqExact(person) AS people
            FROM (${personEvents('e.event_time >= {from:DateTime64(3)} AND e.event_time < {to:DateTime64(3)}')})
            GROUP BY period
            ORDER BY period`,
    query_params: window(p),
  };
}

const TOP_SQL = {
  events: { value: 'event', where: '1' },
  pages: { value: 'assumeNotNull(page_path)', where: "kind = 'page_view' AND page_path IS NOT NULL AND page_path != ''" },
  referrers: { value: 'assumeNotNull(referrer_host)', where: "referrer_host IS NOT NULL AND referrer_host != ''" },
  campaigns: { value: 'assumeNotNull(utm_campaign)', where: "utm_campaign IS NOT NULL AND utm_campaign != ''" },
} as const;

/** The most frequent event names, page paths, referrer hosts or campaigns of [from, to), by events. */
export function topQuery(p: Parsed<typeof topParams>): Query {
  const { value, where } = TOP_SQL[p.subject];
  return {
    query: `SELECT ${value} AS value, uniqExact(message_id) AS events, uniqExact(session_id) AS sessions, uniqExact(user_key) AS users
            FROM events
            WHERE event_time >= {from:DateTime64(3)} AND event_time < {to:DateTime64(3)} AND ${where}
            GROUP BY value
            ORDER BY events DESC, value
            LIMIT {limit:UInt32}`,
    query_params: { ...window(p), limit: p.limit },
  };
}

/**
 * Predictions of events in [from, to) by day and score bucket (tenths): mean predicted probability against the
 * observed rate. A prediction is labelled as the trainer labels a snapshot (and as migration 006's
 * prediction_calibration does): 1 when its session purchased after the event; predictions at or after the session's
 * first purchase are left out. Let `to` lag now by the label delay: a younger session may still convert.
 */
export function calibrationQuery(p: Parsed<typeof calibrationParams>): Query {
  return {
    query: `SELECT toString(toDate(p.event_time)) AS day, least(toUInt8(floor(p.probability * 10)), 9) AS bucket,
                   count() AS predictions, avg(p.probability) AS mean_predicted,
                   avg(toUInt8(b.purchases > 0 AND b.first_purchase_at > p.event_time)) AS observed_rate
            FROM
            (
                SELECT session_id, event_time, probability
                FROM predictions FINAL
                WHERE model_name = {model:String} AND event_time >= {from:DateTime64(3)} AND event_time < {to:DateTime64(3)}
            ) AS p
            LEFT JOIN
            (
                SELECT session_id, count() AS purchases, min(event_time) AS first_purchase_at
                FROM events
                WHERE kind = 'purchase' AND event_time >= {from:DateTime64(3)}
                GROUP BY session_id
            ) AS b ON b.session_id = p.session_id
            WHERE b.purchases = 0 OR p.event_time < b.first_purchase_at
            GROUP BY day, bucket
            ORDER BY day, bucket`,
    query_params: { ...window(p), model: p.model },
  };
}
