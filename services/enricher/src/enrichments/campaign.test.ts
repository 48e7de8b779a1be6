import { campaignFieldsOf } from './campaign';

const NONE = { utmSource: null, utmMedium: null, utmCampaign: null, utmTerm: null, utmContent: null };

describe('UTM campaign fields', () => {
  it('from the page URL utm_* parameters, decoded', () => {
    const url =
      'https://shop.example.com/p/sku-1?utm_source=newsletter&utm_medium=email&utm_campaign=black%20friday&utm_term=running+shoes&utm_content=hero-banner&ref=x';
    expect(campaignFieldsOf(undefined, url)).toEqual({
      utmSource: 'newsletter',
      utmMedium: 'email',
      utmCampaign: 'black friday',
      utmTerm: 'running shoes',
      utmContent: 'hero-banner',
    });
  });

  it('from a site-relative URL', () => {
    expect(campaignFieldsOf(undefined, '/landing?utm_source=google&utm_medium=cpc')).toEqual({ ...NONE, utmSource: 'google', utmMedium: 'cpc' });
  });

  it('from context.campaign (Segment spec: name, source, medium, term, content), which wins over the URL', () => {
    const campaign = { name: 'Spring Sale', source: 'Facebook', medium: 'paid_social', term: 'boots', content: 'carousel-2' };
    const url = 'https://shop.example.com/?utm_source=other&utm_campaign=other';
    expect(campaignFieldsOf(campaign, url)).toEqual({
      utmSource: 'Facebook',
      utmMedium: 'paid_social',
      utmCampaign: 'Spring Sale',
      utmTerm: 'boots',
      utmContent: 'carousel-2',
    });
  });

  it('never mixes the two: a partial context.campaign leaves the rest null', () => {
    expect(campaignFieldsOf({ source: 'bing' }, 'https://shop.example.com/?utm_medium=cpc')).toEqual({ ...NONE, utmSource: 'bing' });
  });

  it('an empty or malformed context.campaign falls back to the URL', () => {
    const url = 'https://shop.example.com/?utm_source=google';
    for (const campaign of [{}, { name: '  ' }, 'summer', ['x'], null, 42]) {
      expect(campaignFieldsOf(campaign, url)).toEqual({ ...NONE, utmSource: 'google' });
    }
  });

  it.each([
    ['no page URL', null],
    ['a URL without a query', 'https://shop.example.com/p/sku-1'],
    ['a query without utm_*', 'https://shop.example.com/search?q=boots'],
    ['empty utm values', 'https://shop.example.com/?utm_source=&utm_medium=%20'],
    ['text that is no URL', 'not a url ? at all %%'],
  ])('%s: all null', (_, url) => {
    expect(campaignFieldsOf(undefined, url)).toEqual(NONE);
  });

  it('keeps the case, trims, and cuts a value at 256 characters', () => {
    const fields = campaignFieldsOf({ name: `  Q4-Promo ${'x'.repeat(500)}` }, null);
    expect(fields.utmCampaign).toHaveLength(256);
    expect(fields.utmCampaign!.startsWith('Q4-Promo')).toBe(true);
  });
});
