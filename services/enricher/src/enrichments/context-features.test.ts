import { DEVICE_FEATURE_NAMES, LANDING_FEATURE_NAMES } from '@telltale/contracts';
import { deviceFeaturesOf, landingFeaturesOf } from './context-features';

describe('device type → feature-vector entries', () => {
  it.each([
    ['desktop', { device_mobile: 0, device_tablet: 0 }],
    ['mobile', { device_mobile: 1, device_tablet: 0 }],
    ['tablet', { device_mobile: 0, device_tablet: 1 }],
  ] as const)('%s', (deviceType, expected) => {
    expect(deviceFeaturesOf(deviceType)).toEqual(expected);
    expect(Object.keys(deviceFeaturesOf(deviceType)).sort()).toEqual([...DEVICE_FEATURE_NAMES].sort());
  });

  it.each([null, 'bot', 'other'] as const)('none for %s: missing, not a desktop', (deviceType) => {
    expect(deviceFeaturesOf(deviceType)).toEqual({});
  });
});

describe('landing referrer class → feature-vector entries', () => {
  const zeros = { landing_search: 0, landing_social: 0, landing_email: 0, landing_other: 0 };
  it.each([
    ['search', { ...zeros, landing_search: 1 }],
    ['social', { ...zeros, landing_social: 1 }],
    ['email', { ...zeros, landing_email: 1 }],
    ['other', { ...zeros, landing_other: 1 }],
    ['direct', zeros],
    ['internal', zeros],
  ] as const)('%s', (referrerClass, expected) => {
    expect(landingFeaturesOf(referrerClass)).toEqual(expected);
    expect(Object.keys(landingFeaturesOf(referrerClass)).sort()).toEqual([...LANDING_FEATURE_NAMES].sort());
  });

  it('none before the session has a page: missing, not direct', () => {
    expect(landingFeaturesOf(null)).toEqual({});
  });
});
