import { DEVICE_FEATURE_NAMES, LANDING_FEATURE_NAMES } from '@telltale/contracts';
import type { ReferrerClass } from './referrer';
import type { DeviceType } from './user-agent';

/**
 * The feature-vector entries of an event's device type: device_mobile and device_tablet, both 0 on a desktop. None for
 * an unknown device (no user agent), a bot or `other`: absent, the model counts them at their training mean rather
 * than as a desktop.
 */
export function deviceFeaturesOf(deviceType: DeviceType | string | null): Record<string, number> {
  switch (deviceType) {
    case 'desktop':
    case 'mobile':
    case 'tablet':
      return Object.fromEntries(DEVICE_FEATURE_NAMES.map((name) => [name, name === `device_${deviceType}` ? 1 : 0]));
    default:
      return {};
  }
}

/**
 * The feature-vector entries of the session's landing referrer class: landing_search, _social, _email, _other, all 0
 * for direct and internal. None before the session has had a page (a server-side call first): missing, not direct.
 */
export function landingFeaturesOf(landingReferrerClass: ReferrerClass | string | null): Record<string, number> {
  if (landingReferrerClass === null) return {};
  return Object.fromEntries(LANDING_FEATURE_NAMES.map((name) => [name, name === `landing_${landingReferrerClass}` ? 1 : 0]));
}
