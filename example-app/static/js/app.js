// The page's module. It imports `./util.js` by its plain, relative name: the page's import map
// sends that to util.js's fingerprinted URL, so every module the page runs is immutable.
import { fingerprintedResources, describe } from './util.js';

const status = document.getElementById('status');
status.textContent = describe(fingerprintedResources());
