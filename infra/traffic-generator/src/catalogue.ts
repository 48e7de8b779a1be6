/** The small shop the simulated visitors browse. Prices in USD. */
export interface Product {
  productId: string;
  name: string;
  category: string;
  price: number;
}

const ITEMS: Array<[string, string, number]> = [
  ['shoes', 'Trail Runner', 89.0],
  ['shoes', 'City Sneaker', 64.5],
  ['shoes', 'Hiking Boot', 129.0],
  ['shoes', 'Canvas Slip-on', 39.9],
  ['apparel', 'Merino Tee', 45.0],
  ['apparel', 'Rain Shell', 149.0],
  ['apparel', 'Fleece Hoodie', 72.0],
  ['apparel', 'Running Shorts', 29.5],
  ['outdoor', 'Daypack 20L', 59.0],
  ['outdoor', 'Trekking Poles', 84.0],
  ['outdoor', 'Headlamp', 24.9],
  ['outdoor', 'Water Filter', 34.0],
  ['kitchen', 'Pour-over Kettle', 54.0],
  ['kitchen', 'Chef Knife', 98.0],
  ['kitchen', 'Cast-iron Pan', 42.0],
  ['kitchen', 'Coffee Grinder', 119.0],
];

export const CATALOGUE: readonly Product[] = ITEMS.map(([category, name, price], i) => ({
  productId: `sku-${String(i + 1).padStart(3, '0')}`,
  name,
  category,
  price,
}));

export const CATEGORIES: readonly string[] = [...new Set(CATALOGUE.map((p) => p.category))];

export const SEARCH_TERMS: readonly string[] = [
  'running shoes',
  'waterproof jacket',
  'backpack',
  'coffee',
  'knife',
  'boots',
  'hoodie',
  'headlamp',
  'gift ideas',
  'sale',
];

export const SHOP_ORIGIN = 'https://shop.telltale.example';

/**
 * Where a visit comes from: the referrer the browser sends and the UTM tags on the landing URL, with how common each
 * is (weight) and how it shifts the visitor's hidden intent. NOTE: the shifts are this simulation's assumption, in the
 * direction shops report (e-mail and paid search convert above average, social below): they are what the model
 * could learn from the referrer class, and what README "Enrichments" measured.
 */
export interface TrafficSource {
  weight: number;
  referrer: string;
  /** utm_* parameters of the landing URL; empty for untagged visits. */
  utm: Record<string, string>;
  intentShift: number;
}

export const TRAFFIC_SOURCES: readonly TrafficSource[] = [
  { weight: 24, referrer: '', utm: {}, intentShift: 0.1 },
  { weight: 20, referrer: 'https://www.google.com/', utm: {}, intentShift: 0.1 },
  { weight: 4, referrer: 'https://www.bing.com/', utm: {}, intentShift: 0.1 },
  { weight: 2, referrer: 'https://duckduckgo.com/', utm: {}, intentShift: 0.1 },
  { weight: 8, referrer: 'https://www.google.com/', utm: { utm_source: 'google', utm_medium: 'cpc', utm_campaign: 'brand-search', utm_term: 'outdoor shop' }, intentShift: 0.3 },
  { weight: 6, referrer: 'https://www.instagram.com/', utm: {}, intentShift: -0.3 },
  { weight: 4, referrer: 'https://l.facebook.com/', utm: { utm_source: 'facebook', utm_medium: 'paid_social', utm_campaign: 'winter-sale', utm_content: 'carousel' }, intentShift: -0.3 },
  { weight: 3, referrer: 'https://t.co/', utm: {}, intentShift: -0.3 },
  { weight: 3, referrer: 'https://www.reddit.com/', utm: {}, intentShift: -0.2 },
  // Mail clients send no referrer: the tags are what tells an e-mail visit.
  { weight: 10, referrer: '', utm: { utm_source: 'newsletter', utm_medium: 'email', utm_campaign: 'weekly-picks' }, intentShift: 0.4 },
  { weight: 2, referrer: 'https://mail.google.com/', utm: { utm_source: 'newsletter', utm_medium: 'email', utm_campaign: 'weekly-picks' }, intentShift: 0.4 },
  { weight: 8, referrer: 'https://news.ycombinator.com/', utm: {}, intentShift: -0.1 },
  { weight: 6, referrer: 'https://gearblog.example.org/best-daypacks', utm: {}, intentShift: 0 },
];

export type Device = 'desktop' | 'mobile' | 'tablet';

/** The device's intent shift: shops report that phones browse more and buy less per visit (same caveat as above). */
export const DEVICE_INTENT_SHIFT: Readonly<Record<Device, number>> = { desktop: 0.2, mobile: -0.2, tablet: 0 };

/** Browsers as they introduce themselves, with their share of visits (weight; phones ahead, as in most shops). */
export const DEVICES: ReadonlyArray<{ weight: number; device: Device; userAgent: string }> = [
  { weight: 20, device: 'desktop', userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36' },
  { weight: 5, device: 'desktop', userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.70' },
  { weight: 8, device: 'desktop', userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15' },
  { weight: 4, device: 'desktop', userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:133.0) Gecko/20100101 Firefox/133.0' },
  { weight: 2, device: 'desktop', userAgent: 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0' },
  { weight: 28, device: 'mobile', userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1' },
  { weight: 24, device: 'mobile', userAgent: 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.81 Mobile Safari/537.36' },
  { weight: 4, device: 'mobile', userAgent: 'Mozilla/5.0 (Linux; Android 14; SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36' },
  { weight: 4, device: 'tablet', userAgent: 'Mozilla/5.0 (iPad; CPU OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1' },
  { weight: 1, device: 'tablet', userAgent: 'Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36' },
];

/** Crawlers that visit a shop: they fetch pages, never buy. */
export const CRAWLER_USER_AGENTS: readonly string[] = [
  'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
  'Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.69 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
  'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)',
  'Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)',
  'Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)',
];
