/** Where the project's parts are, for every script and test: its root, and its Jupyter files (git-ignored). */
import {readdirSync} from 'node:fs';
import * as path from 'node:path';
import {PROJECT_ROOT} from './project-root.js';

export {PROJECT_ROOT};
/** Where `npm run kernel:install` writes the project's kernelspecs. */
export const PROJECT_JUPYTER_PATH = path.join(PROJECT_ROOT, '.jupyter');
/** Jupyter configuration for this project's notebooks, for JUPYTER_CONFIG_PATH. */
export const PROJECT_JUPYTER_CONFIG = path.join(PROJECT_JUPYTER_PATH, 'config');
/** The tslab this project installed (and patched: see patches/). */
export const PROJECT_TSLAB = path.join(PROJECT_ROOT, 'node_modules', '.bin', 'tslab');
/** What the kernelspec runs: that tslab, from its V8 startup snapshot when there is a usable one. */
export const PROJECT_KERNEL_LAUNCHER = path.join(PROJECT_ROOT, 'scripts', 'kernel-snapshot', 'start-kernel.sh');

/** The folder of the lesson's notebooks. */
export const NOTEBOOKS_FOLDER = path.join(PROJECT_ROOT, 'notebooks');

/**
 * The lesson's notebooks, notebooks/*.ipynb by file name, in name order (none if the folder is missing). Read
 * at once (a folder of five names) so that a test can list them when it declares its cases.
 */
export function lessonNotebookNames(): string[] {
	try {
		return readdirSync(NOTEBOOKS_FOLDER)
			.filter((name) => name.endsWith('.ipynb'))
			.sort();
	} catch {
		return [];
	}
}

/** A lesson notebook's absolute path, from its file name. */
export const lessonNotebookPath = (name: string): string => path.join(NOTEBOOKS_FOLDER, name);

/** The lesson's notebooks by absolute path, in name order. */
export function lessonNotebookFiles(): string[] {
	return lessonNotebookNames().map(lessonNotebookPath);
}
