// Preloaded with `node --require`. s3rver installs no signal handlers, so a stop
// (SIGTERM) would end node with status 143; a requested stop is a clean exit.
'use strict';

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => process.exit(0));
}
