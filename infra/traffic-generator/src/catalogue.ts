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

export const EXTERNAL_REFERRERS: readonly string[] = [
  '',
  'https://www.google.com/',
  'https://duckduckgo.com/',
  'https://news.ycombinator.com/',
  'https://www.instagram.com/',
  'https://newsletter.telltale.example/weekly',
];

export const USER_AGENTS: readonly string[] = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36',
  'Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0',
];
