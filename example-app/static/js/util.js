// Helpers for app.js, loaded through the import map.

const FINGERPRINT = /\.[0-9a-f]{12}(\.[a-z0-9]+)?$/;

/** The URLs of every resource the page loaded whose name carries a fingerprint. */
export function fingerprintedResources() {
  return performance
    .getEntriesByType('resource')
    .map((entry) => new URL(entry.name).pathname)
    .filter((path) => FINGERPRINT.test(path));
}

/** The status line the page shows. */
export function describe(paths) {
  return `script ran; ${paths.length} fingerprinted assets loaded`;
}
