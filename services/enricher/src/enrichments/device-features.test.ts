import { DEVICE_FEATURE_NAMES } from '@telltale/contracts';
import { deviceFeaturesOf } from './device-features';

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
