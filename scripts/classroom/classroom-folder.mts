/**
 * The classroom's folder is trusted: the hub runs as root there and loads the teacher's settings from it.
 * So it must be the teacher's: a folder, or a settings file, that another user owns or may write to could
 * have been planted (a jupyterhub_config.local.py that runs as root, a kernelspec that runs for every
 * learner), and is refused.
 */
import {lstat} from 'node:fs/promises';
import * as path from 'node:path';
import {LOCAL_CONFIG_NAME} from './hub-config.mjs';

/** The parts of a classroom's folder the hub trusts, as they lie under it. */
const TRUSTED_PARTS = ['', 'learners', 'jupyter', path.join('jupyter', 'kernels'), path.join('jupyter', 'kernels', 'tslab'), path.join('jupyter', 'config'), LOCAL_CONFIG_NAME];

export class UntrustedFolderError extends Error {}

/**
 * Throws UntrustedFolderError unless each trusted part of `folder` that exists is a real folder (or, for the
 * settings, a regular file), not a link, owned by this user, and writable by no one else.
 */
export async function checkClassroomFolder(folder: string): Promise<void> {
	const me = process.getuid?.();
	for (const part of TRUSTED_PARTS) {
		const entry = path.join(folder, part);
		const info = await lstat(entry).catch(() => undefined);
		if (!info) continue;
		const what = part === LOCAL_CONFIG_NAME ? 'a regular file' : 'a folder';
		const kindOk = part === LOCAL_CONFIG_NAME ? info.isFile() : info.isDirectory();
		if (!kindOk) throw new UntrustedFolderError(`${entry} is not ${what} (a link, say): the classroom will not use it`);
		if (me !== undefined && info.uid !== me) {
			throw new UntrustedFolderError(`${entry} belongs to user ${info.uid}, not to you: the hub runs your classroom's settings as you, so it will not use anyone else's. Choose a --folder of your own`);
		}
		if ((info.mode & 0o022) !== 0) {
			throw new UntrustedFolderError(
				`${entry} may be written by other users (mode ${(info.mode & 0o777).toString(8)}): anyone could have put settings there. Run chmod go-w on it, or choose a fresh --folder`,
			);
		}
	}
}
