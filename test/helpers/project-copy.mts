/**
 * A copy of the project that a test may change and spoil without touching the real one, which other tests use at
 * the same time: its scripts, package.json and tsconfig files copied, the parts a test names copied too, the rest of
 * node_modules linked (each package on its own, so that a copied one can sit beside the linked ones).
 */
import {cp, mkdir, mkdtemp, readdir, rm, symlink} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import * as path from 'node:path';
import {PROJECT_ROOT} from '../../scripts/support/project-paths.mjs';

export interface ProjectCopy {
	readonly root: string;
	remove(): Promise<void>;
}

/**
 * Makes the copy: `copied` (paths in the project such as 'dist' or 'node_modules/tslab') are copied, everything
 * else it needs is linked. node_modules/.cache, where the startup snapshot lives, is the copy's own and starts
 * empty.
 */
export async function copyProject(copied: readonly string[]): Promise<ProjectCopy> {
	const root = await mkdtemp(path.join(tmpdir(), 'lesson-project-'));
	const place = async (part: string): Promise<void> => {
		const [from, to] = [path.join(PROJECT_ROOT, part), path.join(root, part)];
		await mkdir(path.dirname(to), {recursive: true});
		if (copied.includes(part)) await cp(from, to, {recursive: true, verbatimSymlinks: true});
		else await symlink(from, to);
	};
	// The scripts are copied whatever the test asks: they find the project they belong to by their own path.
	await cp(path.join(PROJECT_ROOT, 'scripts'), path.join(root, 'scripts'), {recursive: true});
	// As small and as likely to be changed by a test: what the package is, and what builds dist/ from lib/.
	for (const file of ['package.json', 'tsconfig.json', 'tsconfig.build.json']) await cp(path.join(PROJECT_ROOT, file), path.join(root, file));
	await mkdir(path.join(root, 'notebooks'));
	for (const part of ['lib', 'dist']) await place(part);
	for (const name of await readdir(path.join(PROJECT_ROOT, 'node_modules'))) {
		if (name === '.cache') continue;
		if (!name.startsWith('@')) {
			await place(path.join('node_modules', name));
			continue;
		}
		for (const scoped of await readdir(path.join(PROJECT_ROOT, 'node_modules', name))) await place(path.join('node_modules', name, scoped));
	}
	return {root, remove: () => rm(root, {recursive: true, force: true})};
}
