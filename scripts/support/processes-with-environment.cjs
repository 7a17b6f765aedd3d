// Which processes carry a given entry in their environment (children inherit it, so it follows every process
// a kernel or a test started, even one that left its process group). The one /proc scan for the runner's
// kernel tags and the tests' markers. CommonJS, so that the guardians (plain node) can require it. Linux
// (/proc) only; elsewhere it finds nothing.
'use strict';
const {readdirSync, readFileSync} = require('node:fs');

/** The ids of live processes (zombies left out: they hold nothing and cannot be killed) whose environment has `entry` (NAME=value). */
function processesWithEnvironment(entry) {
	let names = [];
	try {
		names = readdirSync('/proc');
	} catch {
		return [];
	}
	const pids = [];
	for (const name of names) {
		if (!/^\d+$/.test(name)) continue;
		try {
			if (!readFileSync(`/proc/${name}/environ`, 'latin1').split('\0').includes(entry)) continue;
			if (/^State:\s+Z/m.test(readFileSync(`/proc/${name}/status`, 'latin1'))) continue;
			pids.push(Number(name));
		} catch {
			// Gone already, or not ours to read.
		}
	}
	return pids;
}

module.exports = {processesWithEnvironment};
