/** The Jupyter programs the project runs (nbconvert, the Notebook server): their configuration and environment. */
import * as path from 'node:path';
import {PROJECT_JUPYTER_CONFIG, PROJECT_JUPYTER_PATH} from './project-paths.mjs';

/**
 * Writes the project's Jupyter configuration: the classic Notebook's widgets extension turned off. tslab
 * has no widgets, and the comm_open messages that extension sends on every page load reach tslab as
 * "unknown msg_type: comm_open", printed as red error text under whatever cell runs first. By default into
 * the project's .jupyter/config; `configFolder` puts it elsewhere (a folder for JUPYTER_CONFIG_PATH).
 */
export async function installJupyterConfig(configFolder = PROJECT_JUPYTER_CONFIG): Promise<string> {
	const {mkdir, writeFile} = await import('node:fs/promises');
	const folder = path.join(configFolder, 'nbconfig');
	await mkdir(folder, {recursive: true});
	const file = path.join(folder, 'notebook.json');
	await writeFile(file, `${JSON.stringify({load_extensions: {'jupyter-js-widgets/extension': false}}, null, 1)}\n`);
	return file;
}

/**
 * The environment for a Jupyter program (nbconvert, the Notebook server) run by the project's tools: the
 * project's kernelspec and configuration found first, and Jupyter's own runtime files, user config and
 * data (the notebook trust database) kept in `scratch` rather than the home folder.
 */
export function projectJupyterEnv(scratch: string): NodeJS.ProcessEnv {
	return {
		...process.env,
		JUPYTER_PATH: PROJECT_JUPYTER_PATH,
		JUPYTER_CONFIG_PATH: PROJECT_JUPYTER_CONFIG,
		JUPYTER_RUNTIME_DIR: path.join(scratch, 'runtime'),
		JUPYTER_CONFIG_DIR: path.join(scratch, 'config'),
		JUPYTER_DATA_DIR: path.join(scratch, 'data'),
	};
}
