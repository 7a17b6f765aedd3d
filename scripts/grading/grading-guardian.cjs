// A small process beside a grading run, as kernel-guardian.cjs is beside a kernel (the pipe protocol is in
// support/guardian-pipe.cjs). If `npm run grade` dies without removing its sandboxes (killed outright, or
// its tsx parent gone), it removes what they leave on the machine: their network namespaces and cgroups,
// all named after the run, and the run's folder. (Their processes end with bubblewrap, which dies with its
// parent; whatever is still in a cgroup is killed before the cgroup goes.)
// usage: node grading-guardian.cjs FOLDER RUN_NAME IP CGROUP_PARENT...
'use strict';
// node:child_process, not zx: a guardian runs after its parent died, as plain CommonJS that loads nothing it can do without.
const {spawnSync} = require('node:child_process');
const {readdirSync, readFileSync, rmdirSync, rmSync} = require('node:fs');
const path = require('node:path');
const {whenGuardedProcessDies} = require('../support/guardian-pipe.cjs');

const [folder, runName, ip, ...cgroupParents] = process.argv.slice(2);

/** The entries of `folder` that belong to this run (named RUN_NAME-N). */
function ofThisRun(folder) {
	try {
		return readdirSync(folder).filter((name) => name.startsWith(`${runName}-`));
	} catch {
		return [];
	}
}

/** Kills what is in a cgroup and removes it, trying for up to 5 s (a killed process takes a moment to go). */
function removeCgroup(cgroup) {
	for (let attempt = 0; attempt < 100; attempt++) {
		try {
			rmdirSync(cgroup);
			return;
		} catch (error) {
			if (error.code === 'ENOENT') return;
		}
		let pids = [];
		try {
			pids = readFileSync(path.join(cgroup, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean);
		} catch {
			// Gone meanwhile.
		}
		for (const pid of pids) {
			try {
				process.kill(Number(pid), 'SIGKILL');
			} catch {
				// Gone meanwhile.
			}
		}
		Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
	}
}

whenGuardedProcessDies(() => {
	for (const parent of cgroupParents) for (const name of ofThisRun(parent)) removeCgroup(path.join(parent, name));
	for (const name of ofThisRun('/run/netns')) spawnSync(ip, ['netns', 'delete', name], {stdio: 'ignore'});
	rmSync(folder, {recursive: true, force: true});
});
