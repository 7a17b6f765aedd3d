// Finding every process a kernel started, even one that left the kernel's process group (a detached child,
// a daemon that forked twice): each carries the kernel's tag in its environment, as children inherit it.
// CommonJS, so that the guardian (plain node) and the runner (TypeScript) share it. Linux (/proc) only;
// elsewhere it finds nothing and the process-group kill is all there is.
'use strict';
const {processesWithEnvironment} = require('../support/processes-with-environment.cjs');

/** The environment variable that tags a kernel's processes. */
const TAG_VARIABLE = 'LESSON_KERNEL_TAG';

/** Kills, with SIGKILL, every process whose environment has TAG_VARIABLE=tag; returns how many. */
function killTaggedProcesses(tag) {
	let killed = 0;
	for (const pid of processesWithEnvironment(`${TAG_VARIABLE}=${tag}`)) {
		if (pid === process.pid) continue;
		try {
			process.kill(pid, 'SIGKILL');
			killed += 1;
		} catch {
			// Gone already.
		}
	}
	return killed;
}

module.exports = {TAG_VARIABLE, killTaggedProcesses};
