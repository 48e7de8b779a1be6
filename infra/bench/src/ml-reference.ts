// What the bench compares the project's learner with: the old trainer's learner and inputs.

/** The raw session features the old trainer fitted on (the time features included, as it did). */
export const RAW_FEATURES = [
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
];

/** The old trainer's settings (TRAINER_STEPS, TRAINER_LEARNING_RATE before Newton's method). */
export const REFERENCE_SETTINGS = { steps: 200, learningRate: 0.5 };
