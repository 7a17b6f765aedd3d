import {mkdtemp, mkdir, rm, writeFile} from 'node:fs/promises';
import {homedir, tmpdir} from 'node:os';
import * as path from 'node:path';
import {afterEach, describe, expect, onTestFinished, test, vi} from 'vitest';
import {findKernelSpec, jupyterDataFolders, userJupyterDataFolder} from '../../scripts/notebook-runner/kernelspec.mjs';

afterEach(() => {
	vi.unstubAllEnvs();
});

/** A data folder of its own holding a kernelspec called `name`, removed after the test. */
async function dataFolderWith(name: string): Promise<string> {
	const folder = await mkdtemp(path.join(tmpdir(), 'kernelspec-test-'));
	onTestFinished(() => rm(folder, {recursive: true, force: true}));
	await mkdir(path.join(folder, 'kernels', name), {recursive: true});
	await writeFile(path.join(folder, 'kernels', name, 'kernel.json'), JSON.stringify({argv: ['true'], display_name: 'Elsewhere', language: 'text'}));
	return folder;
}

describe('where kernelspecs are, by one rule for installing and finding', () => {
	test.each([
		[{JUPYTER_DATA_DIR: '/data/jupyter'}, 'linux', '/data/jupyter'],
		[{XDG_DATA_HOME: '/xdg'}, 'linux', '/xdg/jupyter'],
		[{XDG_DATA_HOME: ''}, 'linux', path.join(homedir(), '.local', 'share', 'jupyter')],
		[{}, 'darwin', path.join(homedir(), 'Library', 'Jupyter')],
	] as const)('the user data folder for %o on %s is %s', (env, platform, folder) => {
		expect(userJupyterDataFolder(env, platform)).toBe(folder);
	});

	test("are searched in Jupyter's order: JUPYTER_PATH, the user's data folder (JUPYTER_DATA_DIR too), the system's", () => {
		expect(jupyterDataFolders({JUPYTER_PATH: `/a${path.delimiter}/b`, JUPYTER_DATA_DIR: '/data'}, 'linux')).toEqual(['/a', '/b', '/data', '/usr/local/share/jupyter', '/usr/share/jupyter']);
	});

	test('a kernelspec installed under JUPYTER_DATA_DIR is found with it set, and not without', async () => {
		const folder = await dataFolderWith('elsewhere-kernel');
		vi.stubEnv('JUPYTER_PATH', '');
		vi.stubEnv('JUPYTER_DATA_DIR', '');
		vi.stubEnv('XDG_DATA_HOME', path.join(folder, 'no-such-folder'));
		expect(() => findKernelSpec('elsewhere-kernel')).toThrow(/No kernelspec named "elsewhere-kernel"/);
		vi.stubEnv('JUPYTER_DATA_DIR', folder);
		expect(findKernelSpec('elsewhere-kernel')).toMatchObject({name: 'elsewhere-kernel', display_name: 'Elsewhere'});
	});
});
