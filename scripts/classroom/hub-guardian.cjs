// A small process beside the classroom's hub, as kernel-guardian.cjs is beside a kernel: its standard input
// is a pipe from `npm run classroom`. "done" on it means the command stopped the hub itself; the pipe closing
// without it means the command died (killed, or its tsx parent gone): then it asks the hub to stop with
// SIGTERM, on which JupyterHub stops the learners' servers and its proxy (they run in sessions of their own,
// out of reach of a kill of the hub's process group), so that no classroom is left running unseen.
// usage: node hub-guardian.cjs HUB_PID
'use strict';
const hubPid = Number(process.argv[2]);
let done = false;
process.stdin.on('data', (data) => {
	if (String(data).includes('done')) done = true;
});
const onCommandGone = () => {
	if (!done) {
		try {
			process.kill(hubPid, 'SIGTERM');
		} catch {
			// The hub is gone already.
		}
	}
	process.exit(0);
};
process.stdin.on('end', onCommandGone);
process.stdin.on('close', onCommandGone);
process.stdin.on('error', onCommandGone);
process.stdin.resume();
