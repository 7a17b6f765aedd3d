/** Finding a notebook's kernel: the kernelspec named in its metadata. */
import {existsSync, readFileSync} from 'node:fs';
import {homedir} from 'node:os';
import * as path from 'node:path';
import {PROJECT_KERNEL_LAUNCHER, PROJECT_ROOT, PROJECT_TSLAB} from '../support/project-paths.mjs';

/** A kernelspec's kernel.json, as Jupyter reads it. */
export interface KernelSpec {
	readonly name: string;
	readonly argv: string[];
	readonly display_name: string;
	readonly language: string;
	readonly env?: Record<string, string>;
}

/**
 * A file only the project's patched tslab has (patches/, applied by `npm install`; patch 010 adds it): without
 * it, errors would be stderr text and values plain prints, and the notebooks' stored outputs would not match.
 */
const TSLAB_PATCH_MARK = path.join(PROJECT_ROOT, 'node_modules', 'tslab', 'dist', 'cell-errors.js');

/**
 * The environment the project's kernels run in. Cells see Node's global types only, not those of every @types
 * package the project's tools brought (markdown-it's, chai's...): each is parsed again at every kernel start
 * that has no snapshot of them, about 0.2 s (patches/). The startup snapshot is built with the same.
 */
export const KERNEL_ENV = {TSLAB_TYPES: 'node'} as const;

/**
 * The kernelspecs this project provides: tslab (TypeScript) and jslab (JavaScript), from its node_modules, through
 * start-kernel.sh (its startup snapshot when there is a usable one). `{fromSnapshot: false}` starts tslab itself,
 * for kernels no snapshot can serve: a grading sandbox moves the project's files and limits the heap (a V8 flag).
 */
export function projectKernelSpec(name: 'tslab' | 'jslab', options: {fromSnapshot?: boolean} = {}): KernelSpec {
	if (!existsSync(TSLAB_PATCH_MARK)) {
		throw new Error(`node_modules/tslab is not patched (no ${TSLAB_PATCH_MARK}): run \`npm install\`, whose prepare step applies patches/ with patch-package`);
	}
	return {
		name,
		argv: [
			// Through sh, not the script's own mode bits: a copy that lost them (a zip, say) still starts.
			...(options.fromSnapshot === false ? [PROJECT_TSLAB] : ['/bin/sh', PROJECT_KERNEL_LAUNCHER]),
			'kernel',
			'--config-path',
			'{connection_file}',
			...(name === 'jslab' ? ['--js'] : []),
		],
		display_name: name === 'tslab' ? 'TypeScript' : 'JavaScript',
		language: name === 'tslab' ? 'typescript' : 'javascript',
		env: {...KERNEL_ENV},
	};
}

/**
 * The kernelspec called `name`: the project's own tslab/jslab first (so the lesson runs with the tslab
 * this project installed), then the folders Jupyter searches.
 */
export function findKernelSpec(name: string): KernelSpec {
	if (name === 'tslab' || name === 'jslab') return projectKernelSpec(name);
	// Jupyter's own rule for kernel names; it also keeps a notebook from naming ../../anything/kernel.json.
	if (!/^[A-Za-z0-9._-]+$/.test(name) || /^\.+$/.test(name)) {
		throw new Error(`The kernelspec name ${JSON.stringify(name)} is not a kernel name (letters, digits, ".", "_" and "-" only)`);
	}
	const folders = jupyterDataFolders();
	for (const folder of folders) {
		const file = path.join(folder, 'kernels', name, 'kernel.json');
		if (existsSync(file)) return {name, ...(JSON.parse(readFileSync(file, 'utf8')) as Omit<KernelSpec, 'name'>)};
	}
	throw new Error(`No kernelspec named "${name}" (looked in ${folders.join(', ')}); this project's notebooks use "tslab"`);
}

/** Writes the project's tslab kernelspec as `kernels/tslab/kernel.json` under `dataFolder`; returns the file. */
export async function installKernelSpec(dataFolder: string): Promise<string> {
	const {mkdir, writeFile} = await import('node:fs/promises');
	const {name, ...kernelJson} = projectKernelSpec('tslab');
	const folder = path.join(dataFolder, 'kernels', name);
	await mkdir(folder, {recursive: true});
	const file = path.join(folder, 'kernel.json');
	await writeFile(file, `${JSON.stringify(kernelJson, null, 1)}\n`);
	return file;
}

/**
 * Jupyter's per-user data folder, where `jupyter kernelspec list` looks for the user's kernels and
 * `npm run kernel:install -- --user` writes: JUPYTER_DATA_DIR if set, else the platform's (jupyter_core's
 * jupyter_data_dir).
 */
export function userJupyterDataFolder(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
	if (env['JUPYTER_DATA_DIR']) return env['JUPYTER_DATA_DIR'];
	if (platform === 'darwin') return path.join(homedir(), 'Library', 'Jupyter');
	return path.join(env['XDG_DATA_HOME'] || path.join(homedir(), '.local', 'share'), 'jupyter');
}

/**
 * The folders searched for kernelspecs, in Jupyter's order (jupyter_core's jupyter_path): JUPYTER_PATH, then
 * the user's data folder by the same rule as the install (so a kernelspec installed with JUPYTER_DATA_DIR set
 * is found with it set), then the system's.
 */
export function jupyterDataFolders(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string[] {
	return [...(env['JUPYTER_PATH'] ?? '').split(path.delimiter).filter(Boolean), userJupyterDataFolder(env, platform), '/usr/local/share/jupyter', '/usr/share/jupyter'];
}
