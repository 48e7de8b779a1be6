import { userKeyOf, type EventKind, type EventType, type RawEvent } from '@telltale/contracts';
import { contextFieldsOf, type ContextFields } from './enrichments/context-fields';

/**
 * Why a raw event cannot become a clean one; goes to the dead-letter topic. A class, so a failure can never be confused
 * with user data of the same shape (properties of `{"field":…,"reason":…}`).
 */
export class CleaningFailure {
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {}
}

/** A raw event validated and normalised, before sessionisation. */
export interface NormalisedEvent {
  /** The clean event's type: group and alias calls count as identify (see cleanTypeOf). */
  type: EventType;
  userKey: string;
  event: string;
  kind: EventKind;
  eventTime: number;
  properties: Record<string, unknown>;
  productId: string | null;
  category: string | null;
  price: number | null;
  quantity: number | null;
  revenue: number | null;
  searchQuery: string | null;
  pageUrl: string | null;
  pagePath: string | null;
  referrer: string | null;
  /** Browser, OS, device, bot flag, UTM fields, referrer class (enrichments/): CleanEvent columns as they are. */
  contextFields: ContextFields;
}

// Event names of the Segment e-commerce spec and common variants, lower-cased, mapped to the behaviour they stand for.
const KIND_BY_EVENT_NAME: Record<string, EventKind> = {
  'product clicked': 'click',
  'product viewed': 'click',
  'element clicked': 'click',
  click: 'click',
  clicked: 'click',
  'products searched': 'search',
  'product searched': 'search',
  search: 'search',
  searched: 'search',
  'product added': 'add_to_cart',
  'add to cart': 'add_to_cart',
  'added to cart': 'add_to_cart',
  add_to_cart: 'add_to_cart',
  'order completed': 'purchase',
  'checkout completed': 'purchase',
  purchase: 'purchase',
  purchased: 'purchase',
};

export function kindOf(type: RawEvent['type'], event: string | null): EventKind {
  if (type === 'page' || type === 'screen') return 'page_view';
  if (type === 'identify' || type === 'group' || type === 'alias') return 'identify';
  return KIND_BY_EVENT_NAME[(event ?? '').trim().toLowerCase()] ?? 'other';
}

/**
 * NOTE: group and alias calls only link ids (to a group, to an earlier id), like identify: in events.clean they are
 * identify events named `group`/`alias`, with their ids in properties; no behaviour, so no feature vector. Mapping
 * them keeps CleanEvent's type (and ClickHouse's rows) unchanged for every reader.
 */
export function cleanTypeOf(type: RawEvent['type']): EventType {
  return type === 'group' || type === 'alias' ? 'identify' : type;
}

const EARLIEST_PLAUSIBLE = Date.parse('2000-01-01T00:00:00Z');

function parseObject(text: string, field: string): Record<string, unknown> | CleaningFailure {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // fall through
  }
  return new CleaningFailure(field, 'expected a JSON object');
}

function str(value: unknown): string | null {
  if (typeof value === 'string' && value.trim() !== '') return value.trim();
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return null;
}

/** Numbers may arrive as strings ("9.99"); anything else that is present but not a finite number is an error. */
function num(value: unknown, field: string): number | null | CleaningFailure {
  if (value === undefined || value === null || value === '') return null;
  const n = typeof value === 'string' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n)) return new CleaningFailure(field, `expected a number, got ${JSON.stringify(value)}`);
  if (n < 0) return new CleaningFailure(field, 'must not be negative');
  return n;
}

const isFailure = (v: unknown): v is CleaningFailure => v instanceof CleaningFailure;

/**
 * The order value (Segment e-commerce spec): `revenue`, else `total`, else the sum of `products[].price × quantity`
 * (quantity 1 when absent), else null. NOTE: a purchase is never refused for a missing amount: Segment's own
 * libraries send `Order Completed` with products and no revenue, and a dropped purchase would vanish from analytics
 * and from the model's labels. A purchase whose revenue is null is the flag: kept, with no amount known.
 * An amount that is present but not a number (or negative) is still refused, naming the field.
 */
export function orderValueOf(properties: Record<string, unknown>): number | null | CleaningFailure {
  const revenue = num(properties.revenue, 'properties.revenue');
  if (revenue !== null) return revenue;
  const total = num(properties.total, 'properties.total');
  if (total !== null) return total;
  if (!Array.isArray(properties.products)) return null;
  let sum: number | null = null;
  for (const [index, product] of properties.products.entries()) {
    if (typeof product !== 'object' || product === null) continue;
    const { price, quantity } = product as Record<string, unknown>;
    const productPrice = num(price, `properties.products[${index}].price`);
    if (isFailure(productPrice)) return productPrice;
    const productQuantity = num(quantity, `properties.products[${index}].quantity`);
    if (isFailure(productQuantity)) return productQuantity;
    if (productPrice !== null) sum = (sum ?? 0) + productPrice * (productQuantity ?? 1);
  }
  return sum;
}

/**
 * Validates a raw event and pulls out the fields analytics and features need. Events that pass the collector can
 * still fail here: other producers (log and API importers) write to events.raw too, and e-commerce events must carry
 * what makes them useful (an add-to-cart without a product, a search without a query); a purchase is always kept.
 */
export function normaliseEvent(raw: RawEvent, opts: { maxFutureMs: number }): NormalisedEvent | CleaningFailure {
  const userKey = userKeyOf(raw);
  if (!userKey) return new CleaningFailure('userId', 'userId or anonymousId is required');
  if (raw.type === 'track' && !raw.event) return new CleaningFailure('event', 'required for track events');

  const properties = parseObject(raw.properties, 'properties');
  if (isFailure(properties)) return properties;
  const context = parseObject(raw.context, 'context');
  if (isFailure(context)) return context;

  // NOTE: device clocks drift. Like Segment, shift the client timestamp by (receivedAt - sentAt) when the client sent
  // its own send time; then refuse to place events in the future.
  let eventTime = raw.sentAt !== null ? raw.timestamp + (raw.receivedAt - raw.sentAt) : raw.timestamp;
  if (eventTime > raw.receivedAt + opts.maxFutureMs) eventTime = raw.receivedAt;
  if (eventTime < EARLIEST_PLAUSIBLE) return new CleaningFailure('timestamp', 'before 2000-01-01: not a plausible event time');

  const kind = kindOf(raw.type, raw.event);
  const price = num(properties.price, 'properties.price');
  if (isFailure(price)) return price;
  const quantityValue = num(properties.quantity, 'properties.quantity');
  if (isFailure(quantityValue)) return quantityValue;
  const revenue = orderValueOf(properties);
  if (isFailure(revenue)) return revenue;

  const productId = str(properties.productId ?? properties.product_id ?? properties.sku);
  const searchQuery = str(properties.query);
  if (kind === 'add_to_cart' && productId === null) return new CleaningFailure('properties.productId', 'required for add-to-cart events');
  if (kind === 'search' && searchQuery === null) return new CleaningFailure('properties.query', 'required for search events');

  const page = (typeof context.page === 'object' && context.page !== null ? context.page : {}) as Record<string, unknown>;
  const pageUrl = str(properties.url ?? page.url);
  const referrer = str(properties.referrer ?? page.referrer);
  return {
    type: cleanTypeOf(raw.type),
    userKey,
    event: raw.event ?? raw.type,
    kind,
    eventTime,
    properties,
    productId,
    category: str(properties.category),
    price,
    quantity: quantityValue === null ? null : Math.round(quantityValue),
    revenue,
    searchQuery,
    pageUrl,
    pagePath: str(properties.path ?? page.path),
    referrer,
    contextFields: contextFieldsOf(context, { pageUrl, referrer }),
  };
}

export { isFailure };
