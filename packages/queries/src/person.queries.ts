import type { Query } from './analytics.queries';

// A person's queries. A person is found by a userId or an anonymousId: an anonymousId linked to a user (identities)
// stands for that user; the person's keys are the user's id and every anonymousId linked to it or seen with it, and
// each of these queries reads events and predictions by user_key IN keys: user_key leads both tables' sorting keys,
// so ClickHouse reads only those persons' granules, however long the history.

/** The user an id stands for: the userId linked to it as an anonymousId (the first link), if any. */
export function linkedUserQuery(id: string): Query {
  return {
    query: `SELECT user_id FROM identities WHERE anonymous_id = {id:String} ORDER BY first_linked, user_id LIMIT 1`,
    query_params: { id },
  };
}

/** Every anonymousId of a user: linked by identify/alias calls, or sent beside the userId on an event. */
export function anonymousIdsQuery(userId: string): Query {
  return {
    query: `SELECT anonymous_id FROM identities WHERE user_id = {user:String}
            UNION ALL
            SELECT DISTINCT assumeNotNull(anonymous_id) AS anonymous_id FROM events
            WHERE user_key = {user:String} AND anonymous_id IS NOT NULL AND anonymous_id != ''`,
    query_params: { user: userId },
  };
}

/** One copy of each of the person's events (a duplicate not yet merged counts once). */
const personEvents = `SELECT * FROM events WHERE user_key IN {keys:Array(String)} LIMIT 1 BY message_id`;

export function profileQuery(keys: string[]): Query {
  return {
    query: `SELECT count() AS events, uniqExact(session_id) AS sessions,
                   toUnixTimestamp64Milli(min(event_time)) AS first_seen_ms, toUnixTimestamp64Milli(max(event_time)) AS last_seen_ms,
                   countIf(kind = 'page_view') AS page_views, countIf(kind = 'add_to_cart') AS add_to_carts,
                   countIf(kind = 'purchase') AS purchases, sumIf(ifNull(revenue, 0), kind = 'purchase') AS revenue
            FROM (${personEvents})`,
    query_params: { keys },
  };
}

/**
 * Traits from identify calls, each trait's latest value (as Segment's and PostHog's person profiles keep them): an
 * identify event's properties are its traits (the collector merges them); group and alias calls, also identify rows
 * in events, carry ids, not traits, and are left out. Values are the JSON text as sent.
 */
export function traitsQuery(keys: string[]): Query {
  return {
    query: `SELECT trait, argMax(JSONExtractRaw(properties, trait), event_time) AS value_json, toUnixTimestamp64Milli(max(event_time)) AS set_ms
            FROM (${personEvents})
            ARRAY JOIN JSONExtractKeys(properties) AS trait
            WHERE type = 'identify' AND event = 'identify'
            GROUP BY trait
            ORDER BY trait`,
    query_params: { keys },
  };
}

export function sessionsQuery(keys: string[], limit: number): Query {
  return {
    query: `SELECT session_id, toUnixTimestamp64Milli(min(event_time)) AS started_ms, toUnixTimestamp64Milli(max(event_time)) AS ended_ms,
                   count() AS events, countIf(kind = 'page_view') AS page_views, countIf(kind = 'purchase') AS purchases,
                   sumIf(ifNull(revenue, 0), kind = 'purchase') AS revenue, argMin(source, event_time) AS source,
                   argMin(ifNull(device_type, ''), event_time) AS device_type, argMin(ifNull(referrer_class, ''), event_time) AS referrer_class
            FROM (${personEvents})
            GROUP BY session_id
            ORDER BY started_ms DESC, session_id
            LIMIT {limit:UInt32}`,
    query_params: { keys, limit },
  };
}

export function latestEventsQuery(keys: string[], limit: number): Query {
  return {
    query: `SELECT message_id, type, event, kind, session_id, user_key, toUnixTimestamp64Milli(event_time) AS event_ms,
                   page_path, product_id, revenue
            FROM events
            WHERE user_key IN {keys:Array(String)}
            ORDER BY event_time DESC, message_id
            LIMIT 1 BY message_id
            LIMIT {limit:UInt32}`,
    query_params: { keys, limit },
  };
}

/** The person's newest prediction (any session, any of their keys). */
export function latestPredictionQuery(keys: string[]): Query {
  return {
    query: `SELECT user_key, session_id, message_id, model_name, model_version, probability, explanation,
                   toUnixTimestamp64Milli(event_time) AS event_ms, toUnixTimestamp64Milli(predicted_at) AS predicted_ms
            FROM predictions
            WHERE user_key IN {keys:Array(String)}
            ORDER BY predicted_at DESC, message_id
            LIMIT 1`,
    query_params: { keys },
  };
}

/** The feature vector a prediction scored, as the enricher emitted it (the sink keeps them in session_features). */
export function featureVectorQuery(sessionId: string, messageId: string): Query {
  return {
    query: `SELECT event_kind, features FROM session_features
            WHERE session_id = {session:String} AND message_id = {message:String}
            LIMIT 1`,
    query_params: { session: sessionId, message: messageId },
  };
}

const MODEL_COLUMNS = 'model_name, version, feature_transform, feature_names, means, stds, weights, intercept';

/** A published model by name and version (versions are never reused: a retried insert of a run is the same row). */
export function modelVersionQuery(modelName: string, version: number): Query {
  return {
    query: `SELECT ${MODEL_COLUMNS} FROM models
            WHERE model_name = {model:String} AND version = {version:UInt64}
            ORDER BY trained_at DESC
            LIMIT 1`,
    query_params: { model: modelName, version },
  };
}

/** The live model: the newest promoted version (what the scorer scores with once the models topic delivered it). */
export function liveModelQuery(modelName: string): Query {
  return {
    query: `SELECT ${MODEL_COLUMNS} FROM models
            WHERE model_name = {model:String} AND promoted AND version IS NOT NULL
            ORDER BY version DESC
            LIMIT 1`,
    query_params: { model: modelName },
  };
}
