/** Debian's classic Jupyter Notebook server on loopback, with a random token and the project's kernelspec. */
import {type ChildProcess, spawn} from 'node:child_process';
import {randomUUID} from 'node:crypto';
import {mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import * as path from 'node:path';
import {freePort} from '../../scripts/support/free-ports.mjs';
import {installKernelSpec} from '../../scripts/notebook-runner/kernelspec.mjs';
import {installJupyterConfig, projectJupyterEnv} from '../../scripts/support/jupyter-env.mjs';
import {PROJECT_JUPYTER_PATH, PROJECT_ROOT} from '../../scripts/support/project-paths.mjs';
import {setTimeout as sleep} from 'node:timers/promises';
import {waitUntil} from '../../scripts/support/wait-until.js';

export const JUPYTER_NOTEBOOK = '/usr/bin/jupyter-notebook';

export interface JupyterServer {
	readonly url: string;
	readonly token: string;
	stop(): Promise<void>;
}

export async function startJupyterNotebook(): Promise<JupyterServer> {
	await installKernelSpec(PROJECT_JUPYTER_PATH);
	await installJupyterConfig();
	const scratch = await mkdtemp(path.join(tmpdir(), 'lesson-jupyter-'));
	const port = await freePort();
	const token = randomUUID();
	const child: ChildProcess = spawn(
		JUPYTER_NOTEBOOK,
		['--no-browser', '--ip=127.0.0.1', `--port=${port}`, '--port-retries=0', '--allow-root', `--NotebookApp.token=${token}`, `--notebook-dir=${path.join(PROJECT_ROOT, 'notebooks')}`],
		{
			// Its own process group, so that stopping it also stops the kernels it started.
			detached: true,
			stdio: ['ignore', 'ignore', 'pipe'],
			env: projectJupyterEnv(scratch),
		},
	);
	let log = '';
	child.stderr?.on('data', (data: Buffer) => (log = (log + data.toString()).slice(-8000)));
	const stop = async (): Promise<void> => {
		try {
			process.kill(-child.pid!, 'SIGTERM');
			await Promise.race([new Promise((resolve) => child.once('exit', resolve)), sleep(5000)]);
			process.kill(-child.pid!, 'SIGKILL');
		} catch {
			// Already gone.
		}
		await rm(scratch, {recursive: true, force: true});
	};
	const url = `http://127.0.0.1:${port}`;
	try {
		await waitUntil(
			async () => {
				if (child.exitCode !== null) throw new Error(`it exited with code ${child.exitCode}`);
				const response = await fetch(`${url}/api/status?token=${token}`).catch(() => undefined);
				return response?.ok;
			},
			{timeoutMs: 30_000, intervalMs: 250, what: 'Jupyter Notebook to answer'},
		);
	} catch (error) {
		await stop();
		throw new Error(`Jupyter Notebook did not start on ${url} (${(error as Error).message}):\n${log}`);
	}
	return {url, token, stop};
}
