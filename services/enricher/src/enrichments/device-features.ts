import { DEVICE_FEATURE_NAMES } from '@telltale/contracts';
import type { DeviceType } from './user-agent';

/**
 * The feature-vector entries of an event's device type: device_mobile and device_tablet, both 0 on a desktop. None for
 * an unknown device (no user agent), a bot or `other`: absent, the model counts them at their training mean rather
 * than as a desktop.
 */
export function deviceFeaturesOf(deviceType: DeviceType | null): Record<string, number> {
  switch (deviceType) {
    case 'desktop':
    case 'mobile':
    case 'tablet':
      return Object.fromEntries(DEVICE_FEATURE_NAMES.map((name) => [name, name === `device_${deviceType}` ? 1 : 0]));
    default:
      return {};
  }
}
