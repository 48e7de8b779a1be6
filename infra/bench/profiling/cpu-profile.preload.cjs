// Preloaded by `pnpm bench e2e` with BENCH_E2E_CPU_PROF=1 (NODE_OPTIONS=--require …): the CPU profile of the whole
// process, written to $BENCH_CPU_PROFILE_DIR/<name>-<pid>.cpuprofile when it exits. TRICKY: node 20 refuses
// --cpu-prof in NODE_OPTIONS, and the supervisor builds the services' command lines itself, so the profiler is
// started from inside through node:inspector instead. A session on the process's own thread answers synchronously,
// which is what lets the profile be written from the 'exit' event.
'use strict';
const dir = process.env.BENCH_CPU_PROFILE_DIR;
if (dir) {
  const inspector = require('node:inspector');
  const fs = require('node:fs');
  const path = require('node:path');
  const script = process.argv[1] || 'node';
  const m = /\/(?:services|infra)\/([^/]+)\//.exec(script);
  const name = m ? m[1] : path.basename(script).replace(/\.[cm]?[jt]s$/, '');
  const session = new inspector.Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 1000 });
  session.post('Profiler.start');
  process.once('exit', () => {
    session.post('Profiler.stop', (err, result) => {
      if (err || !result) return;
      try {
        fs.mkdirSync(dir, { recursive: true });
        fs.writeFileSync(path.join(dir, `${name}-${process.pid}.cpuprofile`), JSON.stringify(result.profile));
      } catch {
        // a profile is best effort; the process's own exit matters more
      }
    });
  });
}
