/**
 * cgroup v1's memory and pids controllers, as grading's sandboxes and the classroom's learners use them:
 * where they are mounted writable (as root), and removing a cgroup with whatever is still in it.
 */
import {accessSync, constants} from 'node:fs';
import {readFile, rmdir} from 'node:fs/promises';
import * as path from 'node:path';
import {waitUntil} from './wait-until.js';

/** Where cgroup v1's memory and pids controllers are mounted. */
export interface CgroupRoots {
	readonly memory: string;
	readonly pids: string;
}

/** The memory and pids controllers, when both are mounted and writable by this process; else undefined. */
export function writableCgroupRoots(): CgroupRoots | undefined {
	const roots = {memory: '/sys/fs/cgroup/memory', pids: '/sys/fs/cgroup/pids'};
	for (const root of Object.values(roots)) {
		try {
			accessSync(path.join(root, 'cgroup.procs'), constants.W_OK);
		} catch {
			return undefined;
		}
	}
	return roots;
}

/** The processes in a cgroup (none if it is gone). */
export async function cgroupProcesses(cgroup: string): Promise<number[]> {
	const text = await readFile(path.join(cgroup, 'cgroup.procs'), 'utf8').catch(() => '');
	return text.split('\n').filter(Boolean).map(Number);
}

/**
 * Kills whatever is in `cgroup` and removes it (a cgroup can be removed once its last process is gone,
 * which takes a moment after a kill). Resolves false if it is still there after 5 s.
 */
export async function removeCgroup(cgroup: string): Promise<boolean> {
	const removed = (): Promise<boolean> =>
		rmdir(cgroup).then(
			() => true,
			async (error: NodeJS.ErrnoException) => {
				if (error.code === 'ENOENT') return true;
				for (const pid of await cgroupProcesses(cgroup)) killProcess(pid);
				return false;
			},
		);
	return waitUntil(removed, {timeoutMs: 5000, intervalMs: 50, what: `${cgroup} removed`}).catch(() => false);
}

/** SIGKILL, for a process that may be gone already. */
export function killProcess(pid: number): void {
	try {
		process.kill(pid, 'SIGKILL');
	} catch {
		// Gone meanwhile.
	}
}
