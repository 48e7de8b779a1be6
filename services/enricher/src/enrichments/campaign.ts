/**
 * UTM campaign fields, from the event's `context.campaign` (Segment spec: name, source, medium, term, content; the
 * browser SDK fills it from the landing URL) or, when the event has none, from the page URL's utm_* parameters.
 */
export interface CampaignFields {
  utmSource: string | null;
  utmMedium: string | null;
  /** context.campaign.name, or utm_campaign. */
  utmCampaign: string | null;
  utmTerm: string | null;
  utmContent: string | null;
}

/** Longest value kept: a tag is a short label; longer text is junk (or a pasted URL) and is cut. */
const MAX_VALUE_CHARS = 256;

const NO_CAMPAIGN: CampaignFields = { utmSource: null, utmMedium: null, utmCampaign: null, utmTerm: null, utmContent: null };

/**
 * NOTE: one source per event, never a mix: when `context.campaign` has any of the five fields it is the campaign (a
 * sender that set it knows better than a URL, which may be a later page's), otherwise the URL's. Values are kept as
 * sent (trimmed): UTM values are case-sensitive labels, and lower-casing them would merge what marketers keep apart.
 */
export function campaignFieldsOf(contextCampaign: unknown, pageUrl: string | null): CampaignFields {
  if (typeof contextCampaign === 'object' && contextCampaign !== null && !Array.isArray(contextCampaign)) {
    const c = contextCampaign as Record<string, unknown>;
    const fromContext: CampaignFields = {
      utmSource: label(c.source),
      utmMedium: label(c.medium),
      utmCampaign: label(c.name ?? c.campaign),
      utmTerm: label(c.term ?? c.keyword),
      utmContent: label(c.content),
    };
    if (Object.values(fromContext).some((v) => v !== null)) return fromContext;
  }
  const query = queryOf(pageUrl);
  if (query === null) return NO_CAMPAIGN;
  return {
    utmSource: label(query.get('utm_source')),
    utmMedium: label(query.get('utm_medium')),
    utmCampaign: label(query.get('utm_campaign')),
    utmTerm: label(query.get('utm_term')),
    utmContent: label(query.get('utm_content')),
  };
}

/** The query of an absolute or site-relative URL ("/p/1?utm_source=x"), or null when it has none or is no URL. */
function queryOf(pageUrl: string | null): URLSearchParams | null {
  if (pageUrl === null || !pageUrl.includes('?')) return null;
  try {
    // The base only serves relative URLs; its host is never looked at.
    return new URL(pageUrl, 'http://relative.invalid').searchParams;
  } catch {
    return null;
  }
}

function label(value: unknown): string | null {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string') return null;
  const trimmed = value.trim();
  return trimmed === '' ? null : trimmed.slice(0, MAX_VALUE_CHARS);
}
