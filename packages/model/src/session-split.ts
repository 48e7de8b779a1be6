/** FNV-1a over UTF-16 code units, then murmur3's finaliser so similar ids spread over the whole 32-bit range. */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A stable number in [0, 1) for a session under a seed. */
export function sessionBucket(sessionId: string, seed: string): number {
  return hash32(`${seed}\u0000${sessionId}`) / 2 ** 32;
}
