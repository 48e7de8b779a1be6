// GENERATED from schemas/*.avsc by src/generate-types.ts. Do not edit by hand.

export type EventType = 'track' | 'page' | 'screen' | 'identify';

export type EventKind = 'page_view' | 'click' | 'search' | 'add_to_cart' | 'purchase' | 'identify' | 'other';

/** A validated, de-duplicated, enriched event. Value of topic events.clean, keyed by userKey. */
export interface CleanEvent {
  messageId: string;
  type: EventType;
  /** Event name as sent ('page' for unnamed page views). */
  event: string;
  /** Canonical behaviour the event stands for; drives features and funnels. */
  kind: EventKind;
  /** userId when known, else anonymousId: the identity analytics and scoring use. */
  userKey: string;
  userId: null | string;
  anonymousId: null | string;
  /** Stable id of the user's session: a new one starts after 30 min of inactivity. */
  sessionId: string;
  /** Client timestamp corrected for clock skew (sentAt vs receivedAt), UTC ms. */
  eventTime: number;
  receivedAt: number;
  enrichedAt: number;
  /** 0-23, UTC, of eventTime. */
  hourOfDay: number;
  /** 1 = Monday … 7 = Sunday (ISO), UTC, of eventTime. */
  dayOfWeek: number;
  pageUrl: null | string;
  pagePath: null | string;
  referrer: null | string;
  productId: null | string;
  category: null | string;
  price: null | number;
  quantity: null | number;
  revenue: null | number;
  searchQuery: null | string;
  /** All properties as a JSON object text. */
  properties: string;
  /** RawEvent.source: the collector source whose write key sent the event ('http' for events from before sources). */
  source: string;
  /** context.userAgent as sent (trimmed, at most 1024 characters); null when the event carried none. */
  userAgent: null | string;
  /** From the user agent (bowser): 'Chrome', 'Safari', 'Firefox', 'Microsoft Edge', 'Googlebot', ... */
  browserName: null | string;
  browserVersion: null | string;
  /** From the user agent: 'Windows', 'macOS', 'iOS', 'Android', 'Linux', ... */
  osName: null | string;
  /** Windows as marketed ('10'), other systems as reported ('18.1'). */
  osVersion: null | string;
  /** desktop, mobile, tablet, bot or other; null when the event carried no user agent. */
  deviceType: null | string;
  /** The user agent is a crawler or an automated client: kept, flagged, left out of training rows. */
  isBot: boolean;
  /** context.campaign.source, else the page URL's utm_source (one source per event, never mixed). */
  utmSource: null | string;
  utmMedium: null | string;
  /** context.campaign.name, else utm_campaign. */
  utmCampaign: null | string;
  utmTerm: null | string;
  utmContent: null | string;
  /** direct, internal, search, social, email or other (README 'Enrichments'); null when the event has neither page URL nor referrer. */
  referrerClass: null | string;
  /** Host name of the referrer, lower-case; null when there is none. */
  referrerHost: null | string;
}

/** A record a stage could not process, with why and from where. Value of topic events.dlq. */
export interface DeadLetter {
  /** Which service rejected it: collector, enricher, sink, scorer. */
  stage: string;
  /** Human-readable reason. */
  reason: string;
  /** The offending field path, when one is to blame. */
  field: null | string;
  sourceTopic: null | string;
  sourcePartition: null | number;
  sourceOffset: null | number;
  key: null | string;
  /** The original bytes (Kafka value or JSON as received). */
  payload: Buffer;
  failedAt: number;
}

export type SessionEventKind = 'other' | 'page_view' | 'click' | 'search' | 'add_to_cart';

/** One of the session's events, as much of it as the session features need. */
export interface SessionEvent {
  eventTime: number;
  /** The counter it adds to (other: only session_events). */
  kind: SessionEventKind;
  /** price x quantity of an add_to_cart, else null. */
  cartAmount: null | number;
}

/** One visitor (anonymousId, else userId): the current session, what came before it, and the user it is linked to. */
export interface VisitorState {
  sessionId: string;
  startedAt: number;
  /** Latest event time seen: the visitor's own watermark for lateness. */
  lastEventTime: number;
  events: number;
  pageViews: number;
  clicks: number;
  searches: number;
  addToCarts: number;
  cartValue: number;
  purchased: boolean;
  priorSessions: number;
  priorPurchases: number;
  /** The user this visitor's anonymous id is linked to (first identify or alias wins). */
  linkedUserId: null | string;
  /** Referrer class of the session's first event with a page or a referrer (README 'Enrichments'): the landing_* features. */
  landingReferrerClass: null | string;
  /** The session's latest events in event-time order: every one within the lateness bound of lastEventTime, at most ENRICHER_LATE_EVENTS_KEPT (64; README 'Late events'). A late event's features subtract the ones after it. null in a state written before this field: its events then count as dropped up to lastEventTime. */
  recentEvents: null | Array<SessionEvent>;
  /** Event time of the latest session event dropped from recentEvents (null: none): every dropped event is at or before it, every kept one at or after it. */
  droppedUpTo: null | number;
}

/** For an 'mb:' key: messages remembered one after another, from arrival seq firstSeq on. */
export interface MessageBlock {
  /** Arrival seq of the first message (the partition's remembered messages are numbered 0, 1, 2, ...). */
  firstSeq: number;
  /** 8 bytes per message: the first 8 bytes of the SHA-256 of its messageId, in arrival order. */
  fingerprints: Buffer;
  /** Collector receive time of each message, ms: the first since the epoch, each next one as the difference from the previous. */
  receivedAtDeltas: Array<number>;
}

/** For the 'mw' key: where the de-duplication window starts. */
export interface MessageWindowHead {
  /** Every message with a smaller arrival seq is forgotten. */
  headSeq: number;
  /** The newest receive time remembered: the window's clock. */
  streamTime: null | number;
}

/** The enricher's durable state, one entry per key, in the compacted changelog topic enricher.state (partition p holds the state of events.raw partition p). Key 'v:<visitor key>' holds a visitor; 'mb:<first seq>' a block of messages remembered for de-duplication, in arrival order; 'mw' the window's head (every message before it is forgotten); a null value (tombstone) forgets the key. Older changelogs hold one 'm:<messageId>' key per message (seenReceivedAt): a restore converts them. */
export interface EnricherStateEntry {
  visitor: null | VisitorState;
  /** For an 'm:' key: collector receive time of the message, which ages it out of the de-duplication window. Written by versions before message blocks only. */
  seenReceivedAt: null | number;
  messages: null | MessageBlock;
  window: null | MessageWindowHead;
}

/** Features of a user's session as of one event. Value of topic features, keyed by userKey. */
export interface FeatureVector {
  userKey: string;
  sessionId: string;
  /** The event that produced this snapshot. */
  messageId: string;
  /** Kind of that event (page_view, click, …). */
  eventKind: string;
  eventTime: number;
  computedAt: number;
  /** When the collector received the event (RawEvent.receivedAt), UTC ms, carried through so latency from receipt is measured; 0 for vectors written before this field. */
  receivedAt: number;
  /** Feature name → value; names are listed in the README. */
  features: Record<string, number>;
}

/** An anonymous id linked to a user by an identify or alias call, emitted once, when the link is first made. Value of topic identities, keyed by anonymousId. */
export interface IdentityLink {
  /** The visitor's anonymous id (an alias call's previousId). */
  anonymousId: string;
  userId: string;
  /** Event time of the call that made the link, UTC ms. */
  firstLinked: number;
  /** The call that made the link: identify or alias. */
  source: string;
  /** That call's messageId. */
  messageId: string;
}

export interface HoldoutMetrics {
  /** Start of the earliest holdout session; the model trained only on sessions that started before. */
  fromTime: number;
  rows: number;
  auc: number;
  logLoss: number;
  ece: number;
}

export interface ModelMetrics {
  /** ROC AUC on the test split: older sessions held out by a hash of the session id. */
  auc: number;
  logLoss: number;
  trainRows: number;
  testRows: number;
  /** Share of positive labels in the training rows. */
  positiveRate: number;
  /** Expected calibration error (10 equal-width bins) on the test split. */
  ece: null | number;
  /** Time-based holdout: the newest sessions. Promotion compares models on it. */
  holdout: null | HoldoutMetrics;
}

/** A trained logistic-regression model. Value of compacted topic models, keyed by model name: the latest record per name is the live model. Only promoted models are published; every trained model is a row of ClickHouse table models. */
export interface Model {
  /** Model name, e.g. 'purchase_propensity'. */
  name: string;
  /** One above the latest published version of this name. Published in a Kafka transaction under a transactional id per name, so a concurrent trainer is fenced off and one version never names two models. */
  version: number;
  trainedAt: number;
  algorithm: string;
  /** The training run: run_id of the model's row in ClickHouse table models ('' before v2 of this schema). */
  runId: string;
  /** How the inputs in featureNames are derived from a FeatureVector (packages/model/src/model-inputs.ts); 'raw': session features as they are. A scorer that does not know it keeps its current model. */
  featureTransform: string;
  /** The model's inputs, in order (README 'Model inputs'). */
  featureNames: Array<string>;
  /** Per-input mean used to standardise: z = (x - mean) / std; a missing input counts as its mean (z = 0). */
  means: Array<number>;
  stds: Array<number>;
  /** One coefficient per standardised input. */
  weights: Array<number>;
  intercept: number;
  metrics: ModelMetrics;
}

/** A live score for a user's session. Value of topic predictions, keyed by userKey. */
export interface Prediction {
  userKey: string;
  sessionId: string;
  /** The event whose feature vector was scored. */
  messageId: string;
  modelName: string;
  modelVersion: number;
  /** P(purchase later in this session). */
  probability: number;
  eventTime: number;
  predictedAt: number;
  /** When the collector received the event this prediction scores (RawEvent.receivedAt), UTC ms: predictedAt − receivedAt is the pipeline's receipt-to-prediction latency; 0 for predictions written before this field. */
  receivedAt: number;
}

export type RawEventType = 'track' | 'page' | 'screen' | 'identify' | 'group' | 'alias';

/** An event as the collector accepted it (Segment spec shape). Value of topic events.raw, keyed by userId, else anonymousId. */
export interface RawEvent {
  /** Client-chosen id, unique per event; retries reuse it. Generated by the collector when absent. */
  messageId: string;
  /** The Segment call. group and alias carry their ids in properties (groupId, previousId). */
  type: RawEventType;
  /** Event name for track calls (e.g. 'Product Added'), page/screen name otherwise. */
  event: null | string;
  userId: null | string;
  anonymousId: null | string;
  /** When the event happened, as the client says (UTC ms); the collector's receive time when absent. */
  timestamp: number;
  /** When the client sent the batch; with receivedAt it corrects client clock skew. */
  sentAt: null | number;
  /** When the collector received the batch (UTC ms). */
  receivedAt: number;
  /** Event properties as a JSON object text. */
  properties: string;
  /** Context (page, userAgent, campaign, ...) as a JSON object text. */
  context: string;
  /** Where the event entered: the collector source whose write key sent it ('default' in open development mode, 'http' before write keys), or a log/API importer name. */
  source: string;
}
