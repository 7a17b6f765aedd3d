/** Where the project's parts are, for every script and test: its root, and its Jupyter files (git-ignored). */
import * as path from 'node:path';
import {fileURLToPath} from 'node:url';

export const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Where `npm run kernel:install` writes the project's kernelspecs. */
export const PROJECT_JUPYTER_PATH = path.join(PROJECT_ROOT, '.jupyter');
/** Jupyter configuration for this project's notebooks, for JUPYTER_CONFIG_PATH. */
export const PROJECT_JUPYTER_CONFIG = path.join(PROJECT_JUPYTER_PATH, 'config');
/** The tslab this project installed (and patched: see patches/). */
export const PROJECT_TSLAB = path.join(PROJECT_ROOT, 'node_modules', '.bin', 'tslab');
