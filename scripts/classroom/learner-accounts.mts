/**
 * The learners' system accounts, so that on one machine each learner's server and kernels run as a user
 * of their own and no learner can read or change another's folder.
 */
import {chmod, chown, mkdir} from 'node:fs/promises';
import {$, quote} from 'zx/core';
import {ProgramError} from '../support/program-error.mjs';

/** What marks an account as made by the classroom (the passwd comment), so that no other account is ever taken over. */
export const ACCOUNT_COMMENT = 'pr4e classroom learner';

export interface Account {
	readonly name: string;
	readonly uid: number;
	readonly gid: number;
	readonly home: string;
}

/** The learners' names: `${prefix}1` ... `${prefix}N` (learner1 ... by default). */
export function learnerNames(count: number, prefix = 'learner'): string[] {
	return Array.from({length: count}, (_, index) => `${prefix}${index + 1}`);
}

/** Account commands, run to their end (the callers are synchronous); what they say on stderr (useradd's warnings) shows. */
const $account = $({sync: true, nothrow: true});

/** Runs an account command (useradd...), or throws a ProgramError with what it said. */
function runAccountCommand(program: string, args: readonly string[]): void {
	const output = $account`${program} ${args}`;
	if (!output.ok) throw new ProgramError([program, ...args].map(quote).join(' '), output);
}

/** The passwd entry for `name`, or undefined when there is none. */
export function lookUpAccount(name: string): (Account & {comment: string}) | undefined {
	const output = $account`getent passwd ${name}`;
	if (!output.ok) return undefined;
	const [, , uid, gid, comment, home] = output.stdout.trim().split(':');
	return {name, uid: Number(uid), gid: Number(gid), comment: comment ?? '', home: home ?? ''};
}

/**
 * Makes sure `name` is a classroom account whose home is `home` (its own, mode 700): creates it if missing,
 * and refuses an account of that name that the classroom did not make. Needs root.
 */
export async function ensureAccount(name: string, home: string): Promise<Account> {
	let account = lookUpAccount(name);
	if (account && !account.comment.includes(ACCOUNT_COMMENT)) {
		throw new Error(`a system user named ${name} exists and was not made by the classroom; it is left alone (choose other names with --prefix)`);
	}
	if (!account) {
		runAccountCommand('useradd', ['--no-create-home', '--home-dir', home, '--shell', '/usr/sbin/nologin', '--comment', ACCOUNT_COMMENT, '--user-group', name]);
		account = lookUpAccount(name);
		if (!account) throw new Error(`useradd made no account ${name}`);
	} else if (account.home !== home) {
		runAccountCommand('usermod', ['--home', home, name]);
	}
	await mkdir(home, {recursive: true});
	await chown(home, account.uid, account.gid);
	await chmod(home, 0o700);
	return {name, uid: account.uid, gid: account.gid, home};
}

/** Removes a classroom account (never another); its files stay where they are. */
export function removeAccount(name: string): boolean {
	const account = lookUpAccount(name);
	if (!account?.comment.includes(ACCOUNT_COMMENT)) return false;
	runAccountCommand('userdel', [name]);
	return true;
}
