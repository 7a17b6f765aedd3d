/**
 * The classroom as its learners meet it: JupyterHub on loopback, several learners logging in at once in
 * headless Chromium, each running notebook 2 in their own copy of the lesson, each getting the chapter's
 * first run and the picture; and each learner's folder, and kernels, theirs alone.
 */
import {type ChildProcessWithoutNullStreams, spawn, spawnSync} from 'node:child_process';
import {existsSync, readFileSync, statSync} from 'node:fs';
import {chmod, chown, mkdir, mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import * as path from 'node:path';
import type {Browser} from 'playwright-core';
import {afterAll, beforeAll, describe, expect, onTestFinished, test} from 'vitest';
import {BOOK_RUN_1_SIZES} from '../../lib/index.js';
import {type Classroom, JUPYTERHUB, startClassroom} from '../../scripts/classroom/classroom-hub.mjs';
import {LEARNER_LIMITS} from '../../scripts/classroom/hub-config.mjs';
import {lookUpAccount, removeAccount} from '../../scripts/classroom/learner-accounts.mjs';
import {CHROMIUM, firstLoopReads, launchChromium, logIn, type NotebookRun, runNotebookInPage} from '../../scripts/classroom/learner-session.mjs';
import {freePort} from '../../scripts/support/free-ports.mjs';
import {PROJECT_ROOT} from '../../scripts/support/project-paths.mjs';
import {waitUntil} from '../../scripts/support/wait-until.js';
import {JUPYTER_NOTEBOOK} from '../browser/jupyter-server.mjs';
import {socketInodes, tcpSockets, unixListeners} from '../helpers/process-sockets.js';

/**
 * What a learner's kernel has on its command line: tslab's arguments, after node and either tslab's own script or
 * the kernel's startup snapshot (`node --snapshot-blob .../kernel.blob kernel --config-path FILE`).
 */
const KERNEL_COMMAND = ' kernel --config-path ';

const missing = [JUPYTERHUB, JUPYTER_NOTEBOOK, CHROMIUM].filter((program) => !existsSync(program));
const REQUIRED = process.env['REQUIRE_BROWSER'] === '1';
const LEARNERS = 3;
const TSX = path.join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx');
if (missing.length > 0 && !REQUIRED) {
	console.warn(`Skipping the classroom test: ${missing.join(', ')} missing (apt-get install jupyterhub jupyter-notebook chromium).`);
}

test.runIf(REQUIRED && missing.length > 0)('JupyterHub, Jupyter Notebook and Chromium are installed (REQUIRE_BROWSER=1)', () => {
	expect.fail(`REQUIRE_BROWSER=1 but ${missing.join(', ')} missing: apt-get install jupyterhub jupyter-notebook chromium`);
});

/** A learner of their own (a fresh browser context) logs in at `hubUrl` and runs notebook 2 in their lesson folder. */
async function notebook2As(browser: Browser, hubUrl: string, learner: string, password: string): Promise<NotebookRun> {
	const page = await logIn(browser, hubUrl, learner, password);
	const run = await runNotebookInPage(page, hubUrl, learner, 'lesson/notebooks/02-retrieve-image.ipynb');
	await page.context().close();
	return run;
}

/** What every learner must see: the chapter's first run, its header length and the picture, and no error. */
function expectTheFirstRun(run: NotebookRun): void {
	expect(run.unexpectedErrors).toEqual([]);
	expect(firstLoopReads(run.cellOutputs)).toEqual(BOOK_RUN_1_SIZES);
	expect(run.text).toContain('Header length 240');
	expect(run.picture).toEqual([true, 640, 480]);
}

describe.skipIf(missing.length > 0)(`a classroom of ${LEARNERS} learners on one machine`, () => {
	let classroom: Classroom;
	let browser: Browser;
	let folder: string;
	const runs = new Map<string, NotebookRun>();

	beforeAll(async () => {
		folder = await mkdtemp(path.join(tmpdir(), 'lesson-classroom-'));
		// A prefix of its own, so that the test never meets the accounts of a real classroom on this machine.
		classroom = await startClassroom({learners: LEARNERS, prefix: 'pr4etest', folder});
		browser = await launchChromium();
	}, 120_000);

	afterAll(async () => {
		await browser?.close();
		await classroom?.stop();
		if (classroom?.separateUsers) for (const learner of classroom.learners) removeAccount(learner);
		if (folder) await rm(folder, {recursive: true, force: true});
	});

	test("every learner logs in at the same moment, runs notebook 2, and sees the first run's 46 reads and the picture", async () => {
		const results = await Promise.all(
			classroom.learners.map(async (learner) => {
				const run = await notebook2As(browser, classroom.url, learner, classroom.password);
				runs.set(learner, run);
				return run;
			}),
		);
		for (const run of results) expectTheFirstRun(run);
	}, 400_000);

	test('each learner worked in a folder of their own that no other learner can enter, and the project stayed as it was', () => {
		expect(runs.size).toBe(LEARNERS);
		for (const learner of classroom.learners) {
			const home = classroom.home(learner);
			// What the notebook saved went to the learner's own copy of the lesson.
			const picture = path.join(home, 'lesson', 'notebooks', 'stuff.jpg');
			expect(statSync(picture).size).toBe(70057);
			if (!classroom.separateUsers) continue;
			const account = lookUpAccount(learner)!;
			for (const mine of [home, path.join(home, 'lesson', 'notebooks', '02-retrieve-image.ipynb'), picture]) {
				expect(statSync(mine).uid).toBe(account.uid);
			}
			expect(statSync(home).mode & 0o777).toBe(0o700);
			for (const other of classroom.learners.filter((name) => name !== learner)) {
				const peek = spawnSync('runuser', ['-u', learner, '--', 'ls', classroom.home(other)], {encoding: 'utf8'});
				expect(peek.status).not.toBe(0);
				expect(peek.stderr).toContain('Permission denied');
				const write = spawnSync('runuser', ['-u', learner, '--', 'touch', path.join(PROJECT_ROOT, 'notebooks', 'written-by-a-learner')], {encoding: 'utf8'});
				expect(write.status).not.toBe(0);
			}
		}
		const changed = spawnSync('git', ['status', '--porcelain', '--', 'notebooks', 'lib', 'dist'], {cwd: PROJECT_ROOT, encoding: 'utf8'});
		expect(changed.stdout).toBe('');
	});

	/** The folders the learners' kernels had their sockets in, for the check that stopping removes them. */
	const socketFolders: string[] = [];

	test.runIf(process.getuid?.() === 0)("each learner's kernel listens on no TCP port, only on Unix sockets in a folder that learner alone can enter", () => {
		for (const learner of classroom.learners) {
			const kernels = spawnSync('pgrep', ['-u', learner, '-f', KERNEL_COMMAND], {encoding: 'utf8'}).stdout.split('\n').filter(Boolean).map(Number);
			expect(kernels.length, learner).toBeGreaterThan(0);
			const inodes = socketInodes(kernels);
			expect(tcpSockets(inodes)).toEqual([]);
			const sockets = unixListeners(inodes);
			expect(sockets).toHaveLength(5 * kernels.length);
			for (const folder of new Set(sockets.map((socket) => path.dirname(socket)))) {
				const {mode, uid} = statSync(folder);
				expect([mode & 0o777, uid]).toEqual([0o700, lookUpAccount(learner)!.uid]);
				socketFolders.push(folder);
			}
		}
	});

	test.runIf(process.getuid?.() === 0)("each learner's server and kernels run under limits of their own, and cannot read the solutions or the hub's database", () => {
		expect(statSync(path.join(folder, 'jupyterhub.sqlite')).mode & 0o777).toBe(0o600);
		for (const learner of classroom.learners) {
			const kernels = spawnSync('pgrep', ['-u', learner, '-f', KERNEL_COMMAND], {encoding: 'utf8'}).stdout.split('\n').filter(Boolean);
			expect(kernels.length, learner).toBeGreaterThan(0);
			const memory = path.join('/sys/fs/cgroup/memory/pr4e-classroom', learner);
			expect(readFileSync(path.join(memory, 'cgroup.procs'), 'utf8').split('\n')).toEqual(expect.arrayContaining(kernels));
			expect(Number(readFileSync(path.join(memory, 'memory.limit_in_bytes'), 'utf8'))).toBe(LEARNER_LIMITS.memoryMiB * 1024 * 1024);
			expect(readFileSync(path.join('/sys/fs/cgroup/pids/pr4e-classroom', learner, 'pids.max'), 'utf8').trim()).toBe(String(LEARNER_LIMITS.processes));
			expect(readFileSync(`/proc/${kernels[0]}/limits`, 'utf8')).toMatch(new RegExp(`Max file size\\s+${LEARNER_LIMITS.fileMiB * 1024 * 1024}\\s`));
			for (const secret of [path.join(PROJECT_ROOT, 'notebooks', '04-exercises-solutions.ipynb'), path.join(folder, 'jupyterhub.sqlite')]) {
				const read = spawnSync('runuser', ['-u', learner, '--', 'cat', secret], {encoding: 'utf8'});
				expect(read.stderr, secret).toContain('Permission denied');
			}
		}
	});

	test.runIf(process.getuid?.() === 0)("stopping the hub stops every learner's server and kernels, with nothing left to kill", async () => {
		const {leftByHub} = await classroom.stop();
		expect(leftByHub).toEqual([]);
		expect(socketFolders.filter((folder) => existsSync(folder))).toEqual([]);
		for (const learner of classroom.learners) expect(existsSync(path.join('/sys/fs/cgroup/memory/pr4e-classroom', learner))).toBe(false);
	});
});

interface CommandAsNobody {
	readonly command: ChildProcessWithoutNullStreams;
	readonly folder: string;
	/** Everything it printed so far, stdout and stderr. */
	printed(): string;
}

const NOBODY = 65534;

/**
 * Starts `npm run classroom` (tsx, as npm runs it) as user "nobody", in a process group of its own as a
 * command typed in a terminal has, with its classroom in a fresh folder; everything goes when the test ends.
 */
async function classroomAsNobody(learners: number): Promise<CommandAsNobody> {
	const scratch = await mkdtemp(path.join(tmpdir(), 'lesson-classroom-user-'));
	onTestFinished(() => rm(scratch, {recursive: true, force: true}));
	const [folder, home] = [path.join(scratch, 'classroom'), path.join(scratch, 'home')];
	for (const owned of [folder, home]) {
		await mkdir(owned);
		await chown(owned, NOBODY, NOBODY);
	}
	await chmod(scratch, 0o755);
	const command = spawn(
		'setpriv',
		['--reuid', String(NOBODY), '--regid', String(NOBODY), '--clear-groups', TSX, 'scripts/classroom.mts', '--learners', String(learners), '--port', String(await freePort()), '--folder', folder],
		{cwd: PROJECT_ROOT, env: {PATH: process.env['PATH'], HOME: home, LANG: 'C.UTF-8'}, detached: true},
	);
	onTestFinished(() => {
		if (command.exitCode === null) command.kill('SIGKILL');
		spawnSync('pkill', ['-KILL', '-u', String(NOBODY)]);
	});
	let printed = '';
	command.stdout.on('data', (data: Buffer) => (printed += data.toString()));
	command.stderr.on('data', (data: Buffer) => (printed += data.toString()));
	return {command, folder, printed: () => printed};
}

// The command as a teacher without root runs it: every learner's server as that one user, each in a folder
// of its own. Played here by root as user "nobody", through the real command and a real Ctrl-C (SIGINT).
describe.skipIf(missing.length > 0 || process.getuid?.() !== 0)('npm run classroom run by a user other than root', () => {
	let browser: Browser;

	beforeAll(async () => {
		browser = await launchChromium();
	});

	afterAll(async () => {
		await browser?.close();
	});

	test('serves two learners from their own folders as that user, and Ctrl-C stops the hub and their servers', async () => {
		const {command, folder, printed} = await classroomAsNobody(2);
		const ready = /^classroom on (http:\S+)\nlearners: (.+)\nshared password \(a local trial only, not for real use\): (\S+)\nnot root: every learner's server runs as this user/m;
		const [, url, learners, password] = await waitUntil(
			() => {
				if (command.exitCode !== null) throw new Error(`npm run classroom exited with ${command.exitCode}: ${printed()}`);
				return ready.exec(printed());
			},
			{timeoutMs: 60_000, intervalMs: 100, what: "the classroom's ready lines"},
		);

		const runs = await Promise.all(learners!.split(', ').map((learner) => notebook2As(browser, url!, learner, password!)));
		for (const run of runs) expectTheFirstRun(run);
		for (const learner of learners!.split(', ')) {
			const picture = statSync(path.join(folder, 'learners', learner, 'lesson', 'notebooks', 'stuff.jpg'));
			expect([picture.size, picture.uid]).toEqual([70057, NOBODY]);
		}

		// Ctrl-C as a terminal sends it: a SIGINT to the whole process group, tsx and its child both.
		const exited = new Promise<number | null>((resolve) => command.once('exit', (code) => resolve(code)));
		process.kill(-command.pid!, 'SIGINT');
		expect(await exited).toBe(0);
		// The learners' kernels get their shutdown from their servers as the hub stops; give them a moment to end.
		const left = (): string => spawnSync('ps', ['-o', 'pid=,args=', '-u', String(NOBODY)], {encoding: 'utf8'}).stdout.trim();
		await waitUntil(() => left() === '', {timeoutMs: 10_000, what: "no process of the classroom's user"}).catch(() => undefined);
		expect(left()).toBe('');
	}, 300_000);

	test('a command killed outright (SIGKILL, no chance to clean up) still leaves no hub running', async () => {
		const {command, printed} = await classroomAsNobody(1);
		await waitUntil(() => printed().includes('classroom on '), {timeoutMs: 60_000, what: 'the classroom to be ready'});
		const hubs = (): string => spawnSync('pgrep', ['-u', String(NOBODY), '-f', 'jupyterhub|configurable-http-proxy'], {encoding: 'utf8'}).stdout.trim();
		expect(hubs()).not.toBe('');
		process.kill(-command.pid!, 'SIGKILL');
		await waitUntil(() => hubs() === '', {timeoutMs: 15_000, what: 'the hub and its proxy to stop'});
	}, 120_000);
});
