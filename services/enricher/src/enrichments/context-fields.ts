import { campaignFieldsOf, type CampaignFields } from './campaign';
import { referrerFieldsOf, type ReferrerFields } from './referrer';
import { userAgentFieldsOf, type UserAgentFields } from './user-agent';

/** The columns analysts expect on every event, computed once from its context: README "Enrichments". */
export type ContextFields = UserAgentFields & CampaignFields & ReferrerFields;

/**
 * `context` is the event's Segment context object; `pageUrl` and `referrer` are the ones the cleaner already chose
 * (properties first, then context.page), so a page call's own url and referrer win as they do for pageUrl.
 */
export function contextFieldsOf(context: Record<string, unknown>, page: { pageUrl: string | null; referrer: string | null }): ContextFields {
  const userAgent = typeof context.userAgent === 'string' ? context.userAgent : null;
  const campaign = campaignFieldsOf(context.campaign, page.pageUrl);
  return {
    ...userAgentFieldsOf(userAgent),
    ...campaign,
    ...referrerFieldsOf({ referrer: page.referrer, pageUrl: page.pageUrl, utmMedium: campaign.utmMedium }),
  };
}
