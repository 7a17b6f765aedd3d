// Finding every process a kernel started, even one that left the kernel's process group (a detached child,
// a daemon that forked twice): each carries the kernel's tag in its environment, as children inherit it.
// CommonJS, so that the guardian (plain node) and the runner (TypeScript) share it. Linux (/proc) only;
// elsewhere it finds nothing and the process-group kill is all there is.
'use strict';
const {readdirSync, readFileSync} = require('node:fs');

/** The environment variable that tags a kernel's processes. */
const TAG_VARIABLE = 'LESSON_KERNEL_TAG';

/** Kills, with SIGKILL, every process whose environment has TAG_VARIABLE=tag; returns how many. */
function killTaggedProcesses(tag) {
	const needle = `${TAG_VARIABLE}=${tag}`;
	let killed = 0;
	let entries = [];
	try {
		entries = readdirSync('/proc');
	} catch {
		return 0;
	}
	for (const entry of entries) {
		if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
		try {
			if (readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0').includes(needle)) {
				process.kill(Number(entry), 'SIGKILL');
				killed += 1;
			}
		} catch {
			// Gone already, or not ours to read.
		}
	}
	return killed;
}

module.exports = {TAG_VARIABLE, killTaggedProcesses};
