// A small process beside each kernel the runner starts, outside the kernel's event loop: a kernel stuck in
// `while (true) {}` runs no JavaScript of its own, so only another process can end it. Its standard input is
// a pipe from the runner. "done" on it means the runner has cleaned up itself; the pipe closing without it
// means the runner died (even by SIGKILL): then it kills the kernel's whole process group (the kernel and
// whatever cell code started), any process tagged as the kernel's that left the group, and removes the
// folder with the connection file and its signing key.
// usage: node kernel-guardian.cjs KERNEL_PID FOLDER TAG
'use strict';
const {rmSync} = require('node:fs');
const {whenGuardedProcessDies} = require('../support/guardian-pipe.cjs');
const {killTaggedProcesses} = require('./tagged-processes.cjs');

const [kernelPid, folder, tag] = [Number(process.argv[2]), process.argv[3], process.argv[4]];
whenGuardedProcessDies(() => {
	try {
		process.kill(-kernelPid, 'SIGKILL');
	} catch {
		// The group is gone already.
	}
	if (tag) killTaggedProcesses(tag);
	if (folder) rmSync(folder, {recursive: true, force: true});
});
