/**
 * The session features every FeatureVector carries (its `features` map), in one place: the enricher computes them,
 * the trainer and scorer align models by these names, the bench fits on them. Their meaning is in the README
 * ("Features").
 */
export const SESSION_FEATURE_NAMES = [
  'session_events',
  'session_page_views',
  'session_clicks',
  'session_searches',
  'session_add_to_carts',
  'session_cart_value',
  'session_duration_s',
  'seconds_since_prev_event',
  'hour_sin',
  'hour_cos',
  'is_weekend',
  'user_prior_sessions',
  'user_prior_purchases',
] as const;

export type SessionFeatureName = (typeof SESSION_FEATURE_NAMES)[number];

/** The time-of-day and weekday features: meaningful only when the data spans days (see the trainer's gate). */
export const TIME_FEATURE_NAMES = ['hour_sin', 'hour_cos', 'is_weekend'] as const satisfies readonly SessionFeatureName[];

/**
 * Features from the event's context rather than the session's behaviour: the device type of its user agent, one-hot
 * with desktop as the all-zero case. Absent from a vector whose event had no user agent, a bot's or an unplaceable
 * one (the model then counts them at their training mean). README "Enrichments" has the measurement that put them in.
 */
export const DEVICE_FEATURE_NAMES = ['device_mobile', 'device_tablet'] as const;

/**
 * The referrer class of the session's landing (its first event with a page or a referrer), one-hot with direct (and
 * internal: a visit that timed out and went on) as the all-zero case. Absent until the session has a page.
 */
export const LANDING_FEATURE_NAMES = ['landing_search', 'landing_social', 'landing_email', 'landing_other'] as const;
