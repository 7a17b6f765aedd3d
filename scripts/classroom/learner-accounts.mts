/**
 * The learners' system accounts, so that on one machine each learner's server and kernels run as a user
 * of their own and no learner can read or change another's folder.
 */
import {execFileSync} from 'node:child_process';
import {chmod, chown, mkdir} from 'node:fs/promises';

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

/** The passwd entry for `name`, or undefined when there is none. */
export function lookUpAccount(name: string): (Account & {comment: string}) | undefined {
	let line: string;
	try {
		line = execFileSync('getent', ['passwd', name], {encoding: 'utf8'}).trim();
	} catch {
		return undefined;
	}
	const [, , uid, gid, comment, home] = line.split(':');
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
		execFileSync('useradd', ['--no-create-home', '--home-dir', home, '--shell', '/usr/sbin/nologin', '--comment', ACCOUNT_COMMENT, '--user-group', name]);
		account = lookUpAccount(name);
		if (!account) throw new Error(`useradd made no account ${name}`);
	} else if (account.home !== home) {
		execFileSync('usermod', ['--home', home, name]);
	}
	await mkdir(home, {recursive: true});
	await chown(home, account.uid, account.gid);
	await chmod(home, 0o700);
	return {name, uid: account.uid, gid: account.gid, home};
}

/** Removes a classroom account (never another); its files stay where they are. */
export function removeAccount(name: string): boolean {
	const account = lookUpAccount(name);
	if (!account || !account.comment.includes(ACCOUNT_COMMENT)) return false;
	execFileSync('userdel', [name]);
	return true;
}
