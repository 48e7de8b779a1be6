/**
 * User agent → browser, OS, device type, bot flag.
 *
 * Parser: bowser 2.x (MIT, github.com/bowser-js/bowser, releases through 2026). NOTE: ua-parser-js, the usual choice,
 * is AGPL-3.0 from v2 on (v1.x is MIT but frozen at an older rule set); device-detector-js is LGPL-3.0 and isbot is
 * under the Unlicense, none of which the project's licence rule (MIT/Apache/BSD/ISC) allows. bowser recognises the
 * browsers and systems analysts ask about and the large crawlers (Googlebot, bingbot, YandexBot, GPTBot,
 * facebookexternalhit, ...) as platform type `bot`.
 */
import Bowser from 'bowser';

export type DeviceType = 'desktop' | 'mobile' | 'tablet' | 'bot' | 'other';

export interface UserAgentFields {
  /** The user agent as sent, trimmed; null when the event carried none. */
  userAgent: string | null;
  browserName: string | null;
  browserVersion: string | null;
  osName: string | null;
  osVersion: string | null;
  /** null when the event carried no user agent (server-side sources rarely send one): unknown, not `other`. */
  deviceType: DeviceType | null;
  isBot: boolean;
}

/**
 * Automated clients bowser does not name (it names the large crawlers): self-declared robots ("AhrefsBot/7.0",
 * "MJ12bot;", "DuckDuckBot-Https", or an info link "+http://…" as crawlers add), crawlers and spiders, command-line
 * and library HTTP clients, headless browsers and uptime monitors. Kept short on purpose: each entry is a word such
 * clients put in their user agent and no browser does. TRICKY: "bot" must be followed by a separator a robot's name
 * has ("/", ";", ")", "-", "_", the end): phone makers' names end in it too ("CUBOT KINGKONG 7").
 */
const AUTOMATED_CLIENT =
  /bot(?:[/;)_-]|$)|\+https?:\/\/|crawl|spider|slurp|scrap|headless|phantomjs|selenium|puppeteer|playwright|lighthouse|pingdom|uptime|monitor|^curl\/|^wget\/|^python-|^python\/|aiohttp|^go-http-client|^java\/|okhttp|^apache-httpclient|^axios\/|^node-fetch|^got\b|^undici|^postmanruntime|^insomnia|^libwww-perl|^php\/|^ruby\b|^httpie/i;

/** Longest user agent parsed; browsers send a few hundred characters, more is junk not worth a regex pass. */
const MAX_USER_AGENT_CHARS = 1_024;

const NO_USER_AGENT: UserAgentFields = {
  userAgent: null,
  browserName: null,
  browserVersion: null,
  osName: null,
  osVersion: null,
  deviceType: null,
  isBot: false,
};

/**
 * Parsed user agents by string. A site's traffic comes from a few thousand distinct user agents, and parsing one was
 * 6–10 % of the enricher's CPU under load (bench/results/profiles.md). Bounded: the oldest entry goes first.
 */
const parsedUserAgents = new Map<string, Readonly<UserAgentFields>>();
const PARSED_USER_AGENTS_KEPT = 10_000;

export function userAgentFieldsOf(userAgent: string | null | undefined): Readonly<UserAgentFields> {
  const ua = userAgent?.trim().slice(0, MAX_USER_AGENT_CHARS) ?? '';
  if (ua === '') return NO_USER_AGENT;
  const cached = parsedUserAgents.get(ua);
  if (cached) return cached;
  const fields = Object.freeze(parseUserAgent(ua));
  if (parsedUserAgents.size >= PARSED_USER_AGENTS_KEPT) parsedUserAgents.delete(parsedUserAgents.keys().next().value!);
  parsedUserAgents.set(ua, fields);
  return fields;
}

function parseUserAgent(ua: string): UserAgentFields {
  const parsed = Bowser.parse(ua);
  const namedBot = parsed.platform.type === 'bot';
  const isBot = namedBot || AUTOMATED_CLIENT.test(ua);
  // A robot bowser does not name comes out as the browser it imitates ("Mozilla", "Chrome"): name it by its own token.
  const client = isBot && !namedBot ? automatedClientOf(ua) : null;
  return {
    userAgent: ua,
    browserName: client?.name ?? nonEmpty(parsed.browser.name),
    browserVersion: client ? client.version : nonEmpty(parsed.browser.version),
    osName: nonEmpty(parsed.os.name),
    // Windows reports its kernel version ("NT 10.0"); the name analysts know ("10") is bowser's versionName.
    osVersion: parsed.os.name === 'Windows' ? nonEmpty(parsed.os.versionName ?? parsed.os.version) : nonEmpty(parsed.os.version),
    deviceType: isBot ? 'bot' : deviceTypeOf(parsed.platform.type),
    isBot,
  };
}

/**
 * The robot's own product token: the word ending in bot/crawler/spider ("AhrefsBot/7.0"), else the leading token of an
 * HTTP tool ("curl/8.5.0", "python-requests/2.32.3"); null for a headless browser, which bowser names as the browser.
 */
function automatedClientOf(ua: string): { name: string; version: string | null } | null {
  const robot = /([A-Za-z][\w.-]*?(?:bot|crawler|spider))(?:\/v?(\d[\w.]*))?(?=[\s/;),_-]|$)/i.exec(ua);
  const tool = /^([A-Za-z][\w.-]*)\/v?(\d[\w.]*)/.exec(ua);
  const match = robot ?? (tool && tool[1] !== 'Mozilla' ? tool : null);
  return match ? { name: match[1]!, version: match[2] ?? null } : null;
}

function deviceTypeOf(platformType: string | undefined): DeviceType {
  switch (platformType) {
    case 'desktop':
    case 'mobile':
    case 'tablet':
      return platformType;
    default:
      // tv, console, or a user agent bowser cannot place.
      return 'other';
  }
}

function nonEmpty(value: string | undefined): string | null {
  return value === undefined || value.trim() === '' ? null : value.trim();
}
