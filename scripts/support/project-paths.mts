/** Where the project's parts are, for every script and test: its root, and its Jupyter files (git-ignored). */
import {readdir} from 'node:fs/promises';
import * as path from 'node:path';
import {fileURLToPath} from 'node:url';

export const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Where `npm run kernel:install` writes the project's kernelspecs. */
export const PROJECT_JUPYTER_PATH = path.join(PROJECT_ROOT, '.jupyter');
/** Jupyter configuration for this project's notebooks, for JUPYTER_CONFIG_PATH. */
export const PROJECT_JUPYTER_CONFIG = path.join(PROJECT_JUPYTER_PATH, 'config');
/** The tslab this project installed (and patched: see patches/). */
export const PROJECT_TSLAB = path.join(PROJECT_ROOT, 'node_modules', '.bin', 'tslab');
/** What the kernelspec runs: that tslab, from its V8 startup snapshot when there is a usable one. */
export const PROJECT_KERNEL_LAUNCHER = path.join(PROJECT_ROOT, 'scripts', 'kernel-snapshot', 'start-kernel.sh');

/** The lesson's notebooks, notebooks/*.ipynb by absolute path, in name order (none if the folder is missing). */
export async function lessonNotebookFiles(): Promise<string[]> {
	const folder = path.join(PROJECT_ROOT, 'notebooks');
	const names = await readdir(folder).catch(() => []);
	return names
		.filter((name) => name.endsWith('.ipynb'))
		.sort()
		.map((name) => path.join(folder, name));
}
