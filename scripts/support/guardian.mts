/**
 * Starting a guardian (a small .cjs process that acts for a process that dies without cleaning up: see
 * guardian-pipe.cjs): in a process group of its own, so that whatever ends this process's group does not
 * end it first, and neither it nor its pipe keeps this process alive.
 */
// node:child_process, not zx: the guardian is detached and unreferenced along with its stdin pipe, which a
// ProcessPromise (awaiting its end, and through a shell) does not allow.
import {type ChildProcess, spawn} from 'node:child_process';

/** Starts `script` (a guardian) with `args`; `env` is added to this process's environment. */
export function startGuardian(script: string, args: readonly string[], env: Readonly<Record<string, string>> = {}): ChildProcess {
	const guardian = spawn(process.execPath, [script, ...args], {detached: true, stdio: ['pipe', 'ignore', 'ignore'], env: {...process.env, ...env}});
	guardian.unref();
	(guardian.stdin as (typeof guardian.stdin & {unref?: () => void}) | null)?.unref?.();
	guardian.on('error', () => {});
	guardian.stdin?.on('error', () => {});
	return guardian;
}

/** Tells a guardian this process cleaned up itself: it exits without acting. */
export function releaseGuardian(guardian: ChildProcess | undefined): void {
	guardian?.stdin?.end('done\n');
}
