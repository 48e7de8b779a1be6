import { userAgentFieldsOf } from './user-agent';

// Real user agents, as the browsers and crawlers send them.
const CHROME_WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const FIREFOX_MAC = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:133.0) Gecko/20100101 Firefox/133.0';
const SAFARI_MAC = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15';
const EDGE_WINDOWS =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.70';
const IOS_SAFARI =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1';
const ANDROID_CHROME = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.81 Mobile Safari/537.36';
const IPAD = 'Mozilla/5.0 (iPad; CPU OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1';
const GALAXY_TAB = 'Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const GOOGLEBOT = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';
const GOOGLEBOT_SMARTPHONE =
  'Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.69 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';
const BINGBOT = 'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)';
const AHREFSBOT = 'Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)';
const HEADLESS_CHROME = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36';

describe('user agent → browser, OS, device type', () => {
  it.each([
    ['Chrome on Windows', CHROME_WINDOWS, 'Chrome', '131.0.0.0', 'Windows', '10', 'desktop'],
    ['Firefox on macOS', FIREFOX_MAC, 'Firefox', '133.0', 'macOS', '10.15', 'desktop'],
    ['Safari on macOS', SAFARI_MAC, 'Safari', '18.1', 'macOS', '10.15.7', 'desktop'],
    ['Edge on Windows (not Chrome)', EDGE_WINDOWS, 'Microsoft Edge', '131.0.2903.70', 'Windows', '10', 'desktop'],
    ['Safari on an iPhone', IOS_SAFARI, 'Safari', '18.1', 'iOS', '18.1', 'mobile'],
    ['Chrome on an Android phone', ANDROID_CHROME, 'Chrome', '131.0.6778.81', 'Android', '14', 'mobile'],
    ['Safari on an iPad', IPAD, 'Safari', '17.6', 'iOS', '17.6', 'tablet'],
    ['Chrome on an Android tablet (no "Mobile")', GALAXY_TAB, 'Chrome', '131.0.0.0', 'Android', '13', 'tablet'],
  ])('%s', (_, ua, browserName, browserVersion, osName, osVersion, deviceType) => {
    expect(userAgentFieldsOf(ua)).toEqual({ userAgent: ua, browserName, browserVersion, osName, osVersion, deviceType, isBot: false });
  });
});

describe('bots and crawlers: kept, flagged, device type bot', () => {
  it.each([
    ['Googlebot', GOOGLEBOT, 'Googlebot'],
    ['Googlebot smartphone (a phone user agent with the crawler in it)', GOOGLEBOT_SMARTPHONE, 'Googlebot'],
    ['bingbot', BINGBOT, 'BingCrawler'],
  ])('%s is a bot bowser names', (_, ua, browserName) => {
    expect(userAgentFieldsOf(ua)).toEqual(expect.objectContaining({ browserName, deviceType: 'bot', isBot: true }));
  });

  it.each([
    ['curl', 'curl/8.5.0', 'curl', '8.5.0'],
    ['python-requests', 'python-requests/2.32.3', 'python-requests', '2.32.3'],
    ['Go', 'Go-http-client/2.0', 'Go-http-client', '2.0'],
    ['AhrefsBot (bowser: "Mozilla")', AHREFSBOT, 'AhrefsBot', '7.0'],
    ['MJ12bot', 'Mozilla/5.0 (compatible; MJ12bot/v1.4.8; http://mj12bot.com/)', 'MJ12bot', '1.4.8'],
    ['a crawler without a version', 'Mozilla/5.0 (compatible; SemrushBot; +http://www.semrush.com/bot.html)', 'SemrushBot', null],
    ['headless Chrome (bowser names the browser)', HEADLESS_CHROME, 'Chrome', '131.0.0.0'],
  ])('%s is an automated client, named by its own token', (_, ua, browserName, browserVersion) => {
    expect(userAgentFieldsOf(ua)).toEqual(expect.objectContaining({ browserName, browserVersion, deviceType: 'bot', isBot: true }));
  });

  it('a browser with "bot" only inside a word is no bot', () => {
    // "Cubot" is a phone maker: its phones' user agents carry the name.
    const cubot = 'Mozilla/5.0 (Linux; Android 12; CUBOT KINGKONG 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36';
    expect(userAgentFieldsOf(cubot)).toEqual(expect.objectContaining({ deviceType: 'mobile', isBot: false }));
  });
});

describe('no or unknown user agent', () => {
  it.each([
    ['empty', ''],
    ['blank', '   '],
    ['absent', undefined],
    ['null', null],
  ])('%s: every field unknown, not a bot (server-side sources send none)', (_, ua) => {
    expect(userAgentFieldsOf(ua)).toEqual({
      userAgent: null,
      browserName: null,
      browserVersion: null,
      osName: null,
      osVersion: null,
      deviceType: null,
      isBot: false,
    });
  });

  it('an agent no rule knows is device type other', () => {
    expect(userAgentFieldsOf('SomeKioskApp/1.0')).toEqual(expect.objectContaining({ userAgent: 'SomeKioskApp/1.0', deviceType: 'other', isBot: false }));
  });

  it('a user agent of 100 kB is cut, not parsed whole', () => {
    const huge = `${CHROME_WINDOWS} ${'x'.repeat(100_000)}`;
    const fields = userAgentFieldsOf(huge);
    expect(fields.userAgent).toHaveLength(1_024);
    expect(fields.browserName).toBe('Chrome');
  });

  it('parses a user agent once: the same string gives the same fields, also after 10,000 others pushed it out', () => {
    const first = userAgentFieldsOf(ANDROID_CHROME);
    expect(userAgentFieldsOf(ANDROID_CHROME)).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    for (let i = 0; i < 10_001; i += 1) userAgentFieldsOf(`SomeKioskApp/${i}`);
    const again = userAgentFieldsOf(ANDROID_CHROME);
    expect(again).not.toBe(first);
    expect(again).toEqual(first);
  });
});
