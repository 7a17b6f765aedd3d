/**
 * A classroom on one machine: Debian's JupyterHub (with its configurable-http-proxy) for a list of learners,
 * each learner's server a local process, as the learner's own system user when run as root.
 */
// node:child_process for the hub alone: it gets a process group of its own (stopping the group stops the proxy
// and the learners' servers with it) and the log's file descriptor, without a shell between.
import {type ChildProcess, spawn} from 'node:child_process';
import {randomBytes} from 'node:crypto';
import {closeSync, existsSync, openSync} from 'node:fs';
import {chmod, mkdir, readdir, readFile, stat, writeFile} from 'node:fs/promises';
import * as path from 'node:path';
import {fileURLToPath} from 'node:url';
import {$} from 'zx/core';
import {installKernelSpec} from '../notebook-runner/kernelspec.mjs';
import {freePorts} from '../support/free-ports.mjs';
import {releaseGuardian, startGuardian} from '../support/guardian.mjs';
import {installJupyterConfig} from '../support/jupyter-env.mjs';
import {PROJECT_ROOT} from '../support/project-paths.mjs';
import {waitUntil} from '../support/wait-until.js';
import {checkClassroomFolder} from './classroom-folder.mjs';
import {hubConfig, installLearnerJupyterConfig, LEARNER_LIMITS} from './hub-config.mjs';
import {removeCgroup, writableCgroupRoots} from '../support/cgroups.mjs';
import {ensureAccount, learnerNames} from './learner-accounts.mjs';

export const JUPYTERHUB = '/usr/bin/jupyterhub';
const HUB_GUARDIAN = fileURLToPath(new URL('./hub-guardian.cjs', import.meta.url));

export interface ClassroomOptions {
	/** How many learner accounts. */
	readonly learners: number;
	/** Their names are `${prefix}1` ... Default: learner. */
	readonly prefix?: string;
	/** Where the hub listens. Default: 127.0.0.1. */
	readonly ip?: string;
	/** Default: a free port. */
	readonly port?: number;
	/** The classroom's folder: hub database, secrets, log, the learners' homes. */
	readonly folder: string;
	/** The shared password. Default: a new random one. */
	readonly password?: string;
}

export interface Classroom {
	/** The hub's address, e.g. http://127.0.0.1:8000 */
	readonly url: string;
	readonly learners: readonly string[];
	readonly password: string;
	/** true when each learner's server runs as their own system user. */
	readonly separateUsers: boolean;
	/** The folder each learner works in (their home). */
	home(learner: string): string;
	/** The hub's process id (the proxy and the learners' servers are its children). */
	readonly pid: number;
	/**
	 * Stops the hub, which stops the learners' servers and the proxy; then kills whatever is left. Resolves
	 * with the processes the hub's own shutdown left running (when learners are system users), for a test to check.
	 */
	stop(): Promise<{leftByHub: number[]}>;
}

/** Starts JupyterHub and resolves once it answers; its log is in `folder`/jupyterhub.log. */
export async function startClassroom(options: ClassroomOptions): Promise<Classroom> {
	if (!existsSync(JUPYTERHUB)) throw new Error(`${JUPYTERHUB} is missing: apt-get install jupyterhub jupyter-notebook`);
	const folder = path.resolve(options.folder);
	await checkClassroomFolder(folder);
	// Other users must pass through the classroom's folder to reach their homes, and see nothing else in it.
	await mkdir(folder, {recursive: true});
	await chmod(folder, 0o711);
	const homes = path.join(folder, 'learners');
	await mkdir(homes, {recursive: true});
	await chmod(homes, 0o711);
	const homeTemplate = path.join(homes, '{username}');
	const learners = learnerNames(options.learners, options.prefix);
	const separateUsers = process.getuid?.() === 0;
	if (separateUsers) for (const name of learners) await ensureAccount(name, homeTemplate.replace('{username}', name));

	// The kernelspec and Jupyter's settings for the learners, in the classroom's folder (readable by all):
	// the project itself may belong to someone else and is not written to.
	const jupyterPath = path.join(folder, 'jupyter');
	const jupyterConfigPath = path.join(jupyterPath, 'config');
	await mkdir(jupyterPath, {recursive: true});
	await chmod(jupyterPath, 0o755);
	await installKernelSpec(jupyterPath);
	await installJupyterConfig(jupyterConfigPath);
	await installLearnerJupyterConfig(jupyterConfigPath);
	const [port, hubPort, proxyApiPort] = await freePorts(3);
	const password = options.password ?? randomBytes(9).toString('base64url');
	const settings = {
		ip: options.ip ?? '127.0.0.1',
		port: options.port ?? port!,
		hubPort: hubPort!,
		proxyApiPort: proxyApiPort!,
		learners,
		password,
		folder,
		separateUsers,
		homeTemplate,
		jupyterPath,
		jupyterConfigPath,
		cgroupRoots: separateUsers ? writableCgroupRoots() : undefined,
		limits: LEARNER_LIMITS,
	};
	const configFile = path.join(folder, 'jupyterhub_config.py');
	await writeFile(configFile, hubConfig(settings), {mode: 0o600});
	// The hub's database names every learner, their servers' ports and their cookie ids: the teacher's alone.
	// (JupyterHub makes its cookie secret 600 itself; SQLite would make the database 644.)
	const database = path.join(folder, 'jupyterhub.sqlite');
	closeSync(openSync(database, 'a', 0o600));
	await chmod(database, 0o600);
	if (separateUsers) await keepFromLearners();

	const logFile = path.join(folder, 'jupyterhub.log');
	const log = openSync(logFile, 'a', 0o600);
	// Its own process group, so that stopping it stops the proxy and the learners' servers with it.
	const hub: ChildProcess = spawn(JUPYTERHUB, ['--config', configFile], {
		cwd: folder,
		detached: true,
		stdio: ['ignore', log, log],
		// Debian's configurable-http-proxy finds its modules (commander...) in /usr/share/nodejs, where Debian's
		// node looks by itself and a Node.js from elsewhere (NodeSource, nvm) does not.
		env: {...process.env, NODE_PATH: ['/usr/share/nodejs', process.env['NODE_PATH']].filter(Boolean).join(path.delimiter)},
	});
	closeSync(log); // The hub has its own copy.
	// Should this process die without stopping the hub, the guardian asks the hub to stop (hub-guardian.cjs).
	const guardian = startGuardian(HUB_GUARDIAN, [String(hub.pid!)]);
	const exited = new Promise<void>((resolve) => hub.once('exit', () => resolve()));
	// Listening on every interface includes loopback, which is where this process reaches it.
	const host = settings.ip === '0.0.0.0' ? '127.0.0.1' : settings.ip === '::' ? '::1' : settings.ip;
	const url = `http://${host.includes(':') ? `[${host}]` : host}:${settings.port}`;

	const stop = async (): Promise<{leftByHub: number[]}> => {
		if (hub.exitCode === null && hub.signalCode === null) {
			// SIGTERM: JupyterHub stops the servers it started (cleanup_servers), then the proxy, then itself.
			hub.kill('SIGTERM');
			await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 15_000).unref())]);
		}
		const leftByHub = separateUsers ? (await Promise.all(learners.map(processesOf))).flat() : [];
		try {
			process.kill(-hub.pid!, 'SIGKILL');
		} catch {
			// The whole group is gone already.
		}
		// A learner's kernel that outlived its server (it was killed, not shut down) goes too, and so do their cgroups.
		if (separateUsers) for (const name of learners) await $({quiet: true, nothrow: true})`pkill -KILL -u ${name}`;
		const roots = settings.cgroupRoots;
		if (roots) for (const name of learners) for (const root of [roots.memory, roots.pids]) await removeCgroup(path.join(root, 'pr4e-classroom', name));
		releaseGuardian(guardian);
		return {leftByHub};
	};
	try {
		await waitUntil(
			async () => {
				if (hub.exitCode !== null) throw new Error(`JupyterHub exited with code ${hub.exitCode}; the end of ${logFile}:\n${await logTail(logFile)}`);
				const response = await fetch(`${url}/hub/api/`).catch(() => undefined);
				return response?.ok;
			},
			{timeoutMs: 60_000, intervalMs: 250, what: `JupyterHub to answer on ${url}`},
		);
	} catch (error) {
		await stop();
		throw error;
	}
	return {
		url,
		learners,
		password,
		separateUsers,
		home: (learner) => homeTemplate.replace('{username}', learner),
		pid: hub.pid!,
		stop,
	};
}

/**
 * The learners' lessons link to the project's library, so they can reach the project: its solutions
 * notebooks and any grades are made unreadable to them (git does not track these modes).
 */
async function keepFromLearners(): Promise<void> {
	const notebooks = path.join(PROJECT_ROOT, 'notebooks');
	for (const name of await readdir(notebooks)) {
		if (!name.endsWith('-solutions.ipynb')) continue;
		const file = path.join(notebooks, name);
		await chmod(file, (await stat(file)).mode & 0o770);
	}
	const grades = path.join(PROJECT_ROOT, 'test-results', 'grades');
	if (existsSync(grades)) await chmod(grades, 0o700);
}

/** The process ids running as system user `name`. */
async function processesOf(name: string): Promise<number[]> {
	const found = await $({quiet: true, nothrow: true})`pgrep -u ${name}`;
	return found.stdout.split('\n').filter(Boolean).map(Number);
}

/** The last lines of the hub's log that say what went wrong (errors and critical messages), or its last lines. */
async function logTail(logFile: string): Promise<string> {
	const lines = (await readFile(logFile, 'utf8').catch(() => '')).split('\n');
	const serious = lines.filter((line) => /^\[(E|C) /.test(line) || /Error|error:/.test(line));
	return (serious.length > 0 ? serious : lines).slice(-8).join('\n');
}
