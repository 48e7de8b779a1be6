import { PREDICTION_EXPLANATION_HEADER, decodeExplanationHeader, encodeExplanationHeader, type CleanEvent, type DeadLetter, type FeatureVector, type IdentityLink, type Prediction } from '@telltale/contracts';
import type { ConsumedRecord } from '@telltale/kafka';

// One mapping per table, Avro record → row (column name → value); column names follow infra/clickhouse/migrations.
// TableWriter sends the values in this order (JSONCompactEachRow), so every mapping returns its keys in one order.

/**
 * A timestamp column's value: the epoch milliseconds themselves, which ClickHouse reads into DateTime64(3) as a
 * scaled Unix timestamp. NOTE: formatting them as text cost the sink ~5 % of its CPU and ClickHouse more parsing.
 * Refuses what no Date can hold (the row becomes a dead letter), with the message Date gives.
 */
export function clickHouseMs(ms: number): number {
  if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15) throw new RangeError('Invalid time value');
  return ms;
}

export function eventRow(e: CleanEvent) {
  return {
    message_id: e.messageId,
    type: e.type,
    event: e.event,
    kind: e.kind,
    user_key: e.userKey,
    user_id: e.userId,
    anonymous_id: e.anonymousId,
    session_id: e.sessionId,
    event_time: clickHouseMs(e.eventTime),
    received_at: clickHouseMs(e.receivedAt),
    enriched_at: clickHouseMs(e.enrichedAt),
    hour_of_day: e.hourOfDay,
    day_of_week: e.dayOfWeek,
    page_url: e.pageUrl,
    page_path: e.pagePath,
    referrer: e.referrer,
    product_id: e.productId,
    category: e.category,
    price: e.price,
    quantity: e.quantity,
    revenue: e.revenue,
    search_query: e.searchQuery,
    properties: e.properties,
    source: e.source,
    user_agent: e.userAgent,
    browser_name: e.browserName,
    browser_version: e.browserVersion,
    os_name: e.osName,
    os_version: e.osVersion,
    device_type: e.deviceType,
    is_bot: e.isBot,
    utm_source: e.utmSource,
    utm_medium: e.utmMedium,
    utm_campaign: e.utmCampaign,
    utm_term: e.utmTerm,
    utm_content: e.utmContent,
    referrer_class: e.referrerClass,
    referrer_host: e.referrerHost,
  };
}

export function featureRow(f: FeatureVector) {
  return {
    user_key: f.userKey,
    session_id: f.sessionId,
    message_id: f.messageId,
    event_kind: f.eventKind,
    event_time: clickHouseMs(f.eventTime),
    computed_at: clickHouseMs(f.computedAt),
    features: f.features,
  };
}

/**
 * A prediction and its explanation, which travels in the record's header (packages/contracts prediction-explanation.ts),
 * stored as the scorer wrote it once it parses; '' when absent (a record from before explanations).
 */
export function predictionRow(p: Prediction, record?: Pick<ConsumedRecord<Prediction>, 'headers'>) {
  const header = record?.headers?.[PREDICTION_EXPLANATION_HEADER];
  const explanation = decodeExplanationHeader(Array.isArray(header) ? header[0] : header);
  return {
    user_key: p.userKey,
    session_id: p.sessionId,
    message_id: p.messageId,
    model_name: p.modelName,
    model_version: p.modelVersion,
    probability: p.probability,
    event_time: clickHouseMs(p.eventTime),
    predicted_at: clickHouseMs(p.predictedAt),
    received_at: clickHouseMs(p.receivedAt),
    explanation: explanation ? encodeExplanationHeader(explanation) : '',
  };
}

export function deadLetterRow(d: DeadLetter) {
  return {
    stage: d.stage,
    reason: d.reason,
    field: d.field,
    source_topic: d.sourceTopic,
    source_partition: d.sourcePartition,
    source_offset: d.sourceOffset,
    key: d.key,
    payload_base64: d.payload.toString('base64'),
    failed_at: clickHouseMs(d.failedAt),
  };
}

export function identityRow(l: IdentityLink) {
  return {
    anonymous_id: l.anonymousId,
    user_id: l.userId,
    first_linked: clickHouseMs(l.firstLinked),
    source: l.source,
    message_id: l.messageId,
  };
}
