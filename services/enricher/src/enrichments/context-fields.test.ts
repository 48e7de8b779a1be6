import { contextFieldsOf } from './context-fields';

const IOS_SAFARI =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1';

describe('context → the enrichment columns', () => {
  it('a landing page view from a tagged e-mail link on an iPhone', () => {
    const context = { userAgent: IOS_SAFARI, page: { url: 'ignored: the cleaner passes the chosen page URL' } };
    const pageUrl = 'https://shop.example.com/?utm_source=weekly&utm_medium=email&utm_campaign=nov-26';
    expect(contextFieldsOf(context, { pageUrl, referrer: null })).toEqual({
      userAgent: IOS_SAFARI,
      browserName: 'Safari',
      browserVersion: '18.1',
      osName: 'iOS',
      osVersion: '18.1',
      deviceType: 'mobile',
      isBot: false,
      utmSource: 'weekly',
      utmMedium: 'email',
      utmCampaign: 'nov-26',
      utmTerm: null,
      utmContent: null,
      referrerClass: 'email',
      referrerHost: null,
    });
  });

  it('context.campaign medium classes a visit without a referrer', () => {
    const fields = contextFieldsOf({ campaign: { source: 'crm', medium: 'e-mail' } }, { pageUrl: 'https://shop.example.com/', referrer: null });
    expect(fields).toEqual(expect.objectContaining({ utmSource: 'crm', utmMedium: 'e-mail', referrerClass: 'email' }));
  });

  it('a userAgent that is not a string is no user agent', () => {
    expect(contextFieldsOf({ userAgent: { brand: 'x' } }, { pageUrl: null, referrer: null })).toEqual(
      expect.objectContaining({ userAgent: null, deviceType: null, isBot: false, referrerClass: null }),
    );
  });
});
