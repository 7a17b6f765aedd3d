/**
 * What a grading sandbox is made with, and whether this machine has it: root (to run code as users no
 * account has, and to make a network namespace), bubblewrap (mount and PID namespaces), nsenter and ip
 * (the network namespace the sandbox shares with the judge), setpriv and prlimit (dropping to the
 * sandbox's user with limits); cgroups (memory and process limits) where they are mounted writable.
 */
import {existsSync, readdirSync, readFileSync} from 'node:fs';
import {findOnPath} from '../support/cli.mjs';
import {type CgroupRoots, writableCgroupRoots} from '../support/cgroups.mjs';

const TOOLS = {bwrap: 'bubblewrap', nsenter: 'util-linux', ip: 'iproute2', setpriv: 'util-linux', prlimit: 'util-linux'} as const;
export type Tool = keyof typeof TOOLS;

export type ToolPaths = Readonly<Record<Tool, string>>;

export interface SandboxTools {
	readonly paths: ToolPaths;
	/** Undefined where cgroups cannot be used: then rlimits alone bound the processes, and memory is the heap's. */
	readonly cgroups: CgroupRoots | undefined;
}

/** The tools, or the reason a sandbox cannot be made here, with how to fix it. */
export function sandboxTools(): SandboxTools | {problem: string} {
	if (process.getuid?.() !== 0) {
		return {
			problem:
				'grading runs every submission in a sandbox, which needs root (users of their own, a network namespace, limits): run it with sudo, or pass --no-sandbox to run the submissions as you, unprotected',
		};
	}
	const found: Partial<Record<Tool, string>> = {};
	const missing: string[] = [];
	for (const tool of Object.keys(TOOLS) as Tool[]) {
		// A sudo or a cron job may leave the sbin folders off PATH, where ip lives.
		const where = findOnPath([tool], ['/usr/sbin', '/usr/bin', '/sbin', '/bin']);
		if (where) found[tool] = where;
		else missing.push(`${tool} (Debian's package ${TOOLS[tool]})`);
	}
	if (missing.length > 0) return {problem: `the sandbox needs ${missing.join(', ')}: install with apt-get, or pass --no-sandbox to run the submissions unprotected`};
	return {paths: found as ToolPaths, cgroups: writableCgroupRoots()};
}

/**
 * Whether no account, group, container range (subordinate ids) or running process uses `id` as a uid or
 * gid: such an id owns nothing, so code running as it can touch nothing of anyone's.
 */
export function idIsFree(id: number): boolean {
	for (const file of ['/etc/passwd', '/etc/group']) {
		const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
		if (text.split('\n').some((line) => Number(line.split(':')[2]) === id)) return false;
	}
	for (const file of ['/etc/subuid', '/etc/subgid']) {
		const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
		for (const line of text.split('\n')) {
			const [, start, count] = line.split(':').map(Number);
			if (start !== undefined && count !== undefined && id >= start && id < start + count) return false;
		}
	}
	return processesOf([id]).length === 0;
}

/** Every process id in /proc. */
function processIds(): number[] {
	return readdirSync('/proc')
		.filter((entry) => /^\d+$/.test(entry))
		.map(Number);
}
/** The real, effective, saved and filesystem uids and gids of `pid` (none if it is gone or a zombie). */
function idsOf(pid: number): number[] {
	try {
		const status = readFileSync(`/proc/${pid}/status`, 'utf8');
		if (/^State:\s+Z/m.test(status)) return [];
		const ids = (field: string): string[] => (new RegExp(`^${field}:\\s+(.*)$`, 'm').exec(status)?.[1] ?? '').split(/\s+/);
		return [...ids('Uid'), ...ids('Gid')].map(Number).filter(Number.isInteger);
	} catch {
		return [];
	}
}

/** The live processes any of whose uids or gids is one of `ids`. */
export function processesOf(ids: readonly number[]): number[] {
	return processIds().filter((pid) => pid !== process.pid && idsOf(pid).some((id) => ids.includes(id)));
}
