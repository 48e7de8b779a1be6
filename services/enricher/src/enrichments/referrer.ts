/**
 * Referrer → class (direct, internal, search, social, email, other) and host.
 *
 * Registrable domains come from tldts (MIT; the Public Suffix List, updated with each release), so
 * `checkout.shop.co.uk` and `www.shop.co.uk` are one site while `a.github.io` and `b.github.io` are two. No maintained,
 * permissively licensed referrer list exists for Node (Snowplow's referer-parser data is not kept up for npm), so the
 * search, social and email sources are the small table below: the major ones, by the share of traffic they send.
 */
import { parse } from 'tldts';

export type ReferrerClass = 'direct' | 'internal' | 'search' | 'social' | 'email' | 'other';

export interface ReferrerFields {
  /** null when the event has neither a page URL nor a referrer (a server-side track): there is no visit to class. */
  referrerClass: ReferrerClass | null;
  /** The referrer's host name, lower-case; null when there is no referrer (or it is no URL). */
  referrerHost: string | null;
}

/** Search engines, by registrable domain without its suffix: google.com, google.co.uk and google.de alike. */
const SEARCH_ENGINES = new Set(['google', 'bing', 'yahoo', 'duckduckgo', 'baidu', 'yandex', 'ecosia', 'qwant', 'startpage', 'naver', 'seznam', 'sogou', 'ask', 'kagi']);
/** Search engines on a host of a domain that is not itself a search engine. */
const SEARCH_HOSTS = new Set(['search.brave.com', 'search.aol.com']);

/** Social networks and link shorteners that only they use, by registrable domain. */
const SOCIAL_DOMAINS = new Set([
  'facebook.com',
  'fb.com',
  'fb.me',
  'instagram.com',
  'twitter.com',
  'x.com',
  't.co',
  'linkedin.com',
  'lnkd.in',
  'reddit.com',
  'tiktok.com',
  'youtube.com',
  'youtu.be',
  'snapchat.com',
  'threads.net',
  'bsky.app',
  'tumblr.com',
  'vk.com',
  'weibo.com',
  'whatsapp.com',
  't.me',
  'discord.com',
  'quora.com',
  'mastodon.social',
]);
/** Social networks by registrable domain without its suffix (pinterest.com, pinterest.co.uk, ...). */
const SOCIAL_NAMES = new Set(['pinterest']);
/** Social sites on a host of a domain that is not itself social (ycombinator.com is a company site). */
const SOCIAL_HOSTS = new Set(['news.ycombinator.com']);

/** Web mail, by host name; checked first, since several live on a search engine's domain (mail.google.com). */
const EMAIL_HOSTS = new Set([
  'mail.google.com',
  'outlook.live.com',
  'outlook.office.com',
  'outlook.office365.com',
  'mail.yahoo.com',
  'mail.aol.com',
  'mail.proton.me',
  'app.fastmail.com',
  'mail.zoho.com',
  'mail.yandex.ru',
  'e.mail.ru',
]);
/** Any host named mail.* or webmail.* is a mail client (a company's own web mail, an ISP's). */
const MAIL_HOST_PREFIX = /^(web)?mail\./;

/** Android apps send `android-app://<package>` as the referrer; the package names the app. */
const APP_CLASSES: ReadonlyMap<string, ReferrerClass> = new Map([
  ['com.google.android.gm', 'email'],
  ['com.microsoft.office.outlook', 'email'],
  ['com.google.android.googlequicksearchbox', 'search'],
  ['com.facebook.katana', 'social'],
  ['com.instagram.android', 'social'],
  ['com.twitter.android', 'social'],
  ['com.linkedin.android', 'social'],
  ['com.reddit.frontpage', 'social'],
  ['com.pinterest', 'social'],
  ['com.zhiliaoapp.musically', 'social'],
]);

/**
 * utm_medium values that mean an e-mail (Google Analytics' channel rule): mail clients send no referrer, so a tagged
 * link is how an e-mail visit shows.
 */
const EMAIL_MEDIUM = /e[-_ ]?mail|newsletter/i;

export interface ReferrerInput {
  referrer: string | null;
  pageUrl: string | null;
  /** The event's utm_medium: classes a visit without a referrer that came from an e-mail link. */
  utmMedium: string | null;
}

/**
 * Rules, in order:
 * 1. no page URL and no referrer → null (nothing to class);
 * 2. no referrer (or one that is no URL) → email when utm_medium says e-mail, else direct;
 * 3. the referrer's registrable domain is the page's → internal (a visitor moving around the site);
 * 4. a known web mail, search engine or social site (table above) → email, search, social;
 * 5. any other site → other.
 */
export function referrerFieldsOf({ referrer, pageUrl, utmMedium }: ReferrerInput): ReferrerFields {
  if (referrer === null && pageUrl === null) return { referrerClass: null, referrerHost: null };
  const referrerUrl = absoluteUrl(referrer);
  if (referrerUrl === null) {
    return { referrerClass: utmMedium !== null && EMAIL_MEDIUM.test(utmMedium) ? 'email' : 'direct', referrerHost: null };
  }
  const referrerHost = referrerUrl.hostname.toLowerCase();
  if (referrerUrl.protocol === 'android-app:') return { referrerClass: APP_CLASSES.get(referrerHost) ?? 'other', referrerHost };
  if (referrerHost === '') return { referrerClass: 'direct', referrerHost: null };
  const pageHost = absoluteUrl(pageUrl)?.hostname.toLowerCase() ?? null;
  if (pageHost !== null && siteOf(pageHost) === siteOf(referrerHost)) return { referrerClass: 'internal', referrerHost };
  return { referrerClass: externalClassOf(referrerHost), referrerHost };
}

function externalClassOf(host: string): ReferrerClass {
  if (EMAIL_HOSTS.has(host) || MAIL_HOST_PREFIX.test(host)) return 'email';
  const { domain, domainWithoutSuffix } = parse(host, { allowPrivateDomains: true });
  if (SEARCH_HOSTS.has(host) || (domainWithoutSuffix !== null && SEARCH_ENGINES.has(domainWithoutSuffix))) return 'search';
  if (SOCIAL_HOSTS.has(host) || (domain !== null && SOCIAL_DOMAINS.has(domain)) || (domainWithoutSuffix !== null && SOCIAL_NAMES.has(domainWithoutSuffix))) {
    return 'social';
  }
  return 'other';
}

/** The registrable domain (private suffixes such as github.io count); an IP or `localhost` is its own site. */
function siteOf(host: string): string {
  return parse(host, { allowPrivateDomains: true }).domain ?? host;
}

/** A URL with a scheme, or a bare host and path ("www.google.com/") read as https; anything else is no URL. */
function absoluteUrl(text: string | null): URL | null {
  const trimmed = text?.trim() ?? '';
  if (trimmed === '') return null;
  const withScheme = /^[a-z][a-z0-9+.-]*:/i.test(trimmed) ? trimmed : /^[^\s/]+\.[^\s/]+/.test(trimmed) ? `https://${trimmed}` : null;
  if (withScheme === null) return null;
  try {
    return new URL(withScheme);
  } catch {
    return null;
  }
}
