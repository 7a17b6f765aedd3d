// What the guardians (notebook-runner/kernel-guardian.cjs, classroom/hub-guardian.cjs) share: their standard
// input is a pipe from the process they guard. "done" on it means that process cleaned up itself; the pipe
// closing without it means that process died (even by SIGKILL), and the guardian must act for it.
'use strict';

/** Calls `act` once if standard input closes without "done" having come on it, then exits. */
function whenGuardedProcessDies(act) {
	let done = false;
	process.stdin.on('data', (data) => {
		if (String(data).includes('done')) done = true;
	});
	const onPipeClosed = () => {
		if (!done) act();
		process.exit(0);
	};
	process.stdin.on('end', onPipeClosed);
	process.stdin.on('close', onPipeClosed);
	process.stdin.on('error', onPipeClosed);
	process.stdin.resume();
}

module.exports = {whenGuardedProcessDies};
