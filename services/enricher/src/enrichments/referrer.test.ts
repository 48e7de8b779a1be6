import { referrerFieldsOf } from './referrer';

const PAGE = 'https://www.shop.example.co.uk/p/sku-1';

function classOf(referrer: string | null, pageUrl: string | null = PAGE, utmMedium: string | null = null) {
  return referrerFieldsOf({ referrer, pageUrl, utmMedium });
}

describe('referrer class and host', () => {
  it.each([
    ['Google (another country)', 'https://www.google.de/', 'search', 'www.google.de'],
    ['Bing search results', 'https://www.bing.com/search?q=running+shoes&form=QBLH', 'search', 'www.bing.com'],
    ['DuckDuckGo', 'https://duckduckgo.com/', 'search', 'duckduckgo.com'],
    ['Yahoo search', 'https://search.yahoo.com/search?p=boots', 'search', 'search.yahoo.com'],
    ['Brave search', 'https://search.brave.com/search?q=boots', 'search', 'search.brave.com'],
    ['Facebook link shim', 'https://l.facebook.com/l.php?u=https%3A%2F%2Fwww.shop.example.co.uk%2F', 'social', 'l.facebook.com'],
    ['Twitter/X shortener', 'https://t.co/AbC123xyz', 'social', 't.co'],
    ['Instagram', 'https://www.instagram.com/', 'social', 'www.instagram.com'],
    ['LinkedIn', 'https://www.linkedin.com/feed/', 'social', 'www.linkedin.com'],
    ['Reddit', 'https://old.reddit.com/r/running/comments/abc/', 'social', 'old.reddit.com'],
    ['Pinterest (country domain)', 'https://www.pinterest.co.uk/pin/123/', 'social', 'www.pinterest.co.uk'],
    ['Hacker News', 'https://news.ycombinator.com/item?id=1', 'social', 'news.ycombinator.com'],
    ['Gmail on the web', 'https://mail.google.com/', 'email', 'mail.google.com'],
    ['Outlook on the web', 'https://outlook.live.com/', 'email', 'outlook.live.com'],
    ["a company's web mail", 'https://webmail.example.org/', 'email', 'webmail.example.org'],
    ['the Gmail Android app', 'android-app://com.google.android.gm/', 'email', 'com.google.android.gm'],
    ['the Google Android app', 'android-app://com.google.android.googlequicksearchbox/https/www.google.com', 'search', 'com.google.android.googlequicksearchbox'],
    ['another Android app', 'android-app://com.example.reader/', 'other', 'com.example.reader'],
    ['a blog', 'https://blog.runnersworld.example.com/best-shoes-2026', 'other', 'blog.runnersworld.example.com'],
    ['a bare host without a scheme', 'www.google.com/', 'search', 'www.google.com'],
  ])('%s', (_, referrer, referrerClass, referrerHost) => {
    expect(classOf(referrer)).toEqual({ referrerClass, referrerHost });
  });

  it.each([
    ['the same host', 'https://www.shop.example.co.uk/c/shoes'],
    ['another host of the same registrable domain', 'https://checkout.shop.example.co.uk/cart'],
    ['upper-case host', 'https://WWW.SHOP.EXAMPLE.CO.UK/'],
  ])('internal: %s', (_, referrer) => {
    expect(classOf(referrer).referrerClass).toBe('internal');
  });

  it('sites under a shared private suffix are different sites (a.github.io → b.github.io)', () => {
    expect(classOf('https://alice.github.io/post', 'https://bob.github.io/').referrerClass).toBe('other');
    expect(classOf('https://bob.github.io/about', 'https://bob.github.io/').referrerClass).toBe('internal');
  });

  it('localhost and IPs are their own site', () => {
    expect(classOf('http://localhost:3000/a', 'http://localhost:3000/b').referrerClass).toBe('internal');
    expect(classOf('http://10.0.0.1/a', 'http://10.0.0.2/b').referrerClass).toBe('other');
  });

  it.each([
    ['no referrer', null],
    ['an empty referrer', ''],
    ['text that is no URL', 'none'],
    ['about:blank (no host)', 'about:blank'],
  ])('direct: %s', (_, referrer) => {
    expect(classOf(referrer)).toEqual({ referrerClass: 'direct', referrerHost: null });
  });

  it('no referrer but utm_medium=email (mail apps send none) is email', () => {
    expect(classOf(null, PAGE, 'email').referrerClass).toBe('email');
    expect(classOf(null, PAGE, 'Newsletter').referrerClass).toBe('email');
    expect(classOf(null, PAGE, 'cpc').referrerClass).toBe('direct');
  });

  it('a referrer wins over utm_medium', () => {
    expect(classOf('https://www.google.com/', PAGE, 'email').referrerClass).toBe('search');
  });

  it('without a page URL, a referrer is still classed (but cannot be internal)', () => {
    expect(classOf('https://www.google.com/', null)).toEqual({ referrerClass: 'search', referrerHost: 'www.google.com' });
  });

  it('no page URL and no referrer (a server-side track): null, not direct', () => {
    expect(classOf(null, null)).toEqual({ referrerClass: null, referrerHost: null });
  });
});
