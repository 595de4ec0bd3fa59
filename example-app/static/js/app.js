// Marks the page as scripted, and shows how many assets the page loaded from the bundle.
'use strict';

document.addEventListener('DOMContentLoaded', () => {
  const status = document.getElementById('status');
  const fingerprinted = performance
    .getEntriesByType('resource')
    .filter((entry) => /\.[0-9a-f]{12}\.[a-z0-9]+$/.test(new URL(entry.name).pathname));
  status.textContent = `script ran; ${fingerprinted.length} fingerprinted assets loaded`;
});
