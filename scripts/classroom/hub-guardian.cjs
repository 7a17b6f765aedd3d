// A small process beside the classroom's hub, as kernel-guardian.cjs is beside a kernel (the pipe protocol
// is in support/guardian-pipe.cjs). If `npm run classroom` dies without stopping the hub (killed, or its tsx
// parent gone), it asks the hub to stop with SIGTERM, on which JupyterHub stops the learners' servers and its
// proxy (they run in sessions of their own, out of reach of a kill of the hub's process group), so that no
// classroom is left running unseen.
// usage: node hub-guardian.cjs HUB_PID
'use strict';
const {whenGuardedProcessDies} = require('../support/guardian-pipe.cjs');

const hubPid = Number(process.argv[2]);
whenGuardedProcessDies(() => {
	try {
		process.kill(hubPid, 'SIGTERM');
	} catch {
		// The hub is gone already.
	}
});
