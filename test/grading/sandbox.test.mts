/**
 * The grading sandbox (scripts/grading/sandbox.mts) holds a hostile program: each test runs plain Node in
 * it, as a submission's kernel would run, and attacks one promise: what it can see, write, reach and
 * start, whom it runs as, and what is left when it is gone. Root only: the sandbox is made by root.
 */
import {type ChildProcess, spawn} from 'node:child_process';
import {existsSync, readdirSync, readFileSync} from 'node:fs';
import {chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile} from 'node:fs/promises';
import * as net from 'node:net';
import {tmpdir} from 'node:os';
import * as path from 'node:path';
import {afterAll, beforeAll, describe, expect, onTestFinished, test} from 'vitest';
import {GradingRun, type GradingSandbox} from '../../scripts/grading/sandbox.mjs';
import {idIsFree, processesOf, sandboxTools} from '../../scripts/grading/sandbox-tools.mjs';
import {PROJECT_ROOT} from '../../scripts/support/project-paths.mjs';
import {waitUntil} from '../../scripts/support/wait-until.js';

const AS_ROOT = process.getuid?.() === 0;
const LIMITS = {memoryMiB: 256, processes: 64, fileMiB: 8};

let run: GradingRun;

beforeAll(async () => {
	if (!AS_ROOT) return;
	const found = sandboxTools();
	if ('problem' in found) throw new Error(found.problem);
	run = await GradingRun.start(found);
});

afterAll(async () => {
	await run?.end();
});

interface Run {
	readonly code: number | null;
	readonly stdout: string;
	readonly stderr: string;
	readonly kernelPid: number | undefined;
	readonly leftovers: string[];
	readonly sandbox: GradingSandbox;
}

/** Runs `script` with Node in a fresh sandbox (as the kernel would run), then destroys the sandbox. */
async function inSandbox(script: string, options: {env?: Record<string, string>; whileRunning?: (sandbox: GradingSandbox) => Promise<void>} = {}): Promise<Run> {
	const sandbox = await run.sandbox(LIMITS);
	const connections = await mkdtemp(path.join(tmpdir(), 'sandbox-test-'));
	const argv = sandbox.kernelCommand([process.execPath, '-e', script], options.env ?? {}, connections, path.join(sandbox.folder, 'notebooks'));
	const child = spawn(argv[0]!, argv.slice(1), {stdio: ['ignore', 'pipe', 'pipe', 'pipe']});
	let stdout = '';
	let stderr = '';
	let info = '';
	child.stdout!.on('data', (data: Buffer) => (stdout += data.toString()));
	child.stderr!.on('data', (data: Buffer) => (stderr += data.toString()));
	(child.stdio[3] as NodeJS.ReadableStream).on('data', (data: Buffer) => (info += data.toString()));
	const whileRunning = options.whileRunning?.(sandbox);
	const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
	await whileRunning;
	const leftovers = await run.destroy(sandbox);
	await rm(connections, {recursive: true, force: true});
	const pid = /"child-pid":\s*(\d+)/.exec(info)?.[1];
	return {code, stdout, stderr, kernelPid: pid === undefined ? undefined : Number(pid), leftovers, sandbox};
}

describe.runIf(AS_ROOT)('the grading sandbox', () => {
	test('runs as a user no account has, as the first process of its own PID namespace, with an environment of its own', async () => {
		process.env['PR4E_TEST_SECRET'] = 'canary-in-the-grader';
		const run = await inSandbox(
			`console.log(JSON.stringify({uid: process.getuid(), gid: process.getgid(), groups: process.getgroups(), pid: process.pid, env: process.env, pids: require('fs').readdirSync('/proc').filter((e) => /^\\d+$/.test(e))}))`,
			{env: {TSLAB_TYPES: 'node'}},
		);
		delete process.env['PR4E_TEST_SECRET'];
		const seen = JSON.parse(run.stdout) as {uid: number; gid: number; groups: number[]; pid: number; env: Record<string, string>; pids: string[]};
		expect(seen.uid).toBe(run.sandbox.kernelUser.uid);
		expect(seen.uid).toBeGreaterThanOrEqual(1_500_000_000);
		expect(seen.groups).toEqual([seen.gid]);
		expect(seen.pid).toBe(1);
		expect(seen.pids).toEqual(['1']);
		expect(Object.keys(seen.env).sort()).toEqual(['HOME', 'LANG', 'PATH', 'PWD', 'TSLAB_TYPES']);
		expect(run.stdout).not.toContain('canary-in-the-grader');
		expect(run.stdout).not.toContain('/root');
		// Its user was free before, and is again: no account, no process.
		expect(idIsFree(seen.uid)).toBe(true);
		expect(run.leftovers).toEqual([]);
	});

	test("sees the system's programs and the project's parts read-only, and writes only its own folder", async () => {
		const run = await inSandbox(`
			const fs = require('fs');
			const tryWrite = (file) => { try { fs.writeFileSync(file, 'x'); return 'written'; } catch (error) { return error.code; } };
			console.log(JSON.stringify({
				top: fs.readdirSync('/').sort(),
				here: fs.readdirSync('..').sort(),
				project: fs.existsSync(${JSON.stringify(PROJECT_ROOT)}),
				own: tryWrite('own.txt'),
				library: tryWrite('../dist/index.js'),
				packages: tryWrite('../node_modules/evil.js'),
				system: tryWrite('/usr/evil'),
				tmp: tryWrite('/tmp/left-behind'),
				shm: tryWrite('/dev/shm/left-behind'),
				big: (() => { try { fs.writeFileSync('big.bin', Buffer.alloc(${LIMITS.fileMiB + 1} * 1024 * 1024)); return 'written'; } catch (error) { return error.code; } })(),
			}));
		`);
		const seen = JSON.parse(run.stdout) as Record<string, unknown>;
		expect(seen['top']).toEqual(['bin', 'dev', 'etc', 'lib', 'lib64', 'proc', 'sbin', 'tmp', 'usr'].filter((name) => name !== 'lib64' || (seen['top'] as string[]).includes('lib64')));
		expect(seen['here']).toEqual(['dist', 'lib', 'node_modules', 'notebooks', 'package.json']);
		expect(seen['project']).toBe(false);
		expect(seen).toMatchObject({own: 'written', library: 'EROFS', packages: 'EROFS', system: 'EROFS', tmp: 'written', shm: 'written', big: 'EFBIG'});
		// The private /tmp and /dev/shm went with it.
		expect(await stat('/tmp/left-behind').catch(() => 'gone')).toBe('gone');
		expect(await stat('/dev/shm/left-behind').catch(() => 'gone')).toBe('gone');
	});

	test("reaches the judge on its own loopback, and nothing on the machine's", async () => {
		const outside = net.createServer((socket) => socket.end("the grader's machine\n"));
		await new Promise<void>((resolve) => outside.listen(0, '127.0.0.1', resolve));
		const outsidePort = (outside.address() as net.AddressInfo).port;
		const reached: string[] = [];
		outside.on('connection', () => reached.push('outside'));
		const sandbox = await run.sandbox(LIMITS);
		try {
			const judgePort = await sandbox.startJudge(() => {});
			const connections = await mkdtemp(path.join(tmpdir(), 'sandbox-test-'));
			const script = `
				const net = require('net');
				const tryConnect = (port, host) => new Promise((resolve) => {
					const socket = net.connect(port, host, () => { socket.destroy(); resolve('connected'); });
					socket.on('error', (error) => resolve(error.code));
					setTimeout(() => { socket.destroy(); resolve('timeout'); }, 2000);
				});
				(async () => console.log(JSON.stringify({judge: await tryConnect(${judgePort}, '127.0.0.1'), machine: await tryConnect(${outsidePort}, '127.0.0.1'), world: await tryConnect(80, '192.0.2.1')})))();
			`;
			const argv = sandbox.kernelCommand([process.execPath, '-e', script], {}, connections, sandbox.folder);
			const child = spawn(argv[0]!, argv.slice(1), {stdio: ['ignore', 'pipe', 'inherit', 'pipe']});
			let stdout = '';
			child.stdout!.on('data', (data: Buffer) => (stdout += data.toString()));
			await new Promise((resolve) => child.once('exit', resolve));
			await rm(connections, {recursive: true, force: true});
			expect(JSON.parse(stdout)).toEqual({judge: 'connected', machine: 'ECONNREFUSED', world: 'ENETUNREACH'});
			expect(reached).toEqual([]);
		} finally {
			await run.destroy(sandbox);
			outside.close();
		}
	});

	test('ends every process it started, a detached daemon with an empty environment too', async () => {
		const run = await inSandbox(`
			const {spawn} = require('child_process');
			const {readFileSync} = require('fs');
			const daemon = spawn('/bin/sh', ['-c', 'sleep 300 & sleep 300'], {detached: true, env: {}, stdio: 'ignore'});
			daemon.unref();
			// Until the shell has started its background sleep (a grandchild to leave behind), for at most 10 s.
			const children = () => { try { return readFileSync('/proc/' + daemon.pid + '/task/' + daemon.pid + '/children', 'utf8').trim(); } catch { return ''; } };
			const deadline = Date.now() + 10000;
			const look = setInterval(() => {
				if (children() === '' && Date.now() < deadline) return;
				clearInterval(look);
				console.log('started', daemon.pid, 'children', children());
			}, 10);
		`);
		expect(run.stdout).toMatch(/^started \d+ children \d+/);
		expect(processesOf([run.sandbox.kernelUser.uid])).toEqual([]);
		// The PID namespace ended them with their first process: nothing was left for the final kill.
		expect(run.leftovers).toEqual([]);
	});

	test('stops a memory bomb at its memory limit', async () => {
		const run = await inSandbox(`
			const hog = [];
			for (let i = 0; i < 64; i++) { hog.push(Buffer.alloc(16 * 1024 * 1024, 1)); }
			console.log('allocated', hog.length * 16, 'MiB');
		`);
		// 1 GiB asked for, 256 MiB allowed: the kernel's OOM killer ends it before it can say so.
		expect(run.stdout).not.toContain('allocated');
		expect(run.code).not.toBe(0);
	});

	test('stops a process bomb at its process limit', async () => {
		const run = await inSandbox(`
			const {spawn} = require('child_process');
			Promise.all(Array.from({length: 200}, () => new Promise((resolve) => {
				const child = spawn('sleep', ['30'], {stdio: 'ignore'});
				child.on('spawn', () => resolve(true));
				child.on('error', () => resolve(false));
			}))).then((started) => { console.log('started', started.filter(Boolean).length); process.exit(0); });
		`);
		const started = Number(/started (\d+)/.exec(run.stdout)?.[1] ?? 0);
		expect(started).toBeGreaterThan(0);
		expect(started).toBeLessThan(LIMITS.processes);
		expect(run.leftovers).toEqual([]);
	});

	test('leaves nothing behind: no folder, cgroup, network namespace or process', async () => {
		const run = await inSandbox(`require('fs').writeFileSync('mine.txt', 'x'); console.log('ok')`);
		expect(run.stdout.trim()).toBe('ok');
		expect(await stat(run.sandbox.folder).catch(() => 'gone')).toBe('gone');
		expect(processesOf([run.sandbox.kernelUser.uid, run.sandbox.judgeUser.uid])).toEqual([]);
		const name = run.sandbox.name;
		const named = (folder: string): Promise<string[]> =>
			readdir(folder).then(
				(names) => names.filter((entry) => entry === name),
				() => [],
			);
		expect(await named('/run/netns')).toEqual([]);
		expect(await named('/sys/fs/cgroup/memory/pr4e-grading')).toEqual([]);
		expect(await named('/sys/fs/cgroup/pids/pr4e-grading')).toEqual([]);
	});
});

describe('where no sandbox can be made', () => {
	test.runIf(!AS_ROOT)('it says why and how to fix it', () => {
		const found = sandboxTools();
		expect('problem' in found && found.problem).toMatch(/needs root.*--no-sandbox/);
	});

	test.runIf(AS_ROOT)('npm run grade stops before running anything, says why and how, and exits 3', async () => {
		const scratch = await mkdtemp(path.join(tmpdir(), 'grade-as-nobody-'));
		await chmod(scratch, 0o755);
		const submission = path.join(scratch, 'alice.ipynb');
		await writeFile(submission, '{}');
		const tsx = path.join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx');
		const child = spawn('runuser', ['-u', 'nobody', '--', tsx, path.join(PROJECT_ROOT, 'scripts', 'grade.mts'), submission], {cwd: '/tmp', env: {...process.env, HOME: '/tmp'}});
		let output = '';
		child.stdout.on('data', (data: Buffer) => (output += data.toString()));
		child.stderr.on('data', (data: Buffer) => (output += data.toString()));
		const code = await new Promise((resolve) => child.once('close', resolve));
		await rm(scratch, {recursive: true, force: true});
		expect(output).toMatch(/no sandbox can be made here: .*needs root.*sudo.*--no-sandbox/);
		expect(output).not.toContain('Grading');
		expect(code).toBe(3);
	});
});

describe.runIf(AS_ROOT)('npm run grade, stopped while a submission runs in its sandbox', () => {
	/**
	 * Starts the grader on a submission whose first exercise never ends, in a process group of its own as a
	 * command typed in a terminal has, and resolves once the submission runs in its sandbox, with the names
	 * of the sandbox's network namespace and cgroups (on bubblewrap's command line).
	 */
	async function graderBusyInASandbox(): Promise<{grader: ChildProcess; exited: Promise<number | null>; scratch: string; temporary: string; names: string[]}> {
		const scratch = await mkdtemp(path.join(tmpdir(), 'grade-interrupted-'));
		onTestFinished(() => rm(scratch, {recursive: true, force: true}));
		const temporary = path.join(scratch, 'tmp');
		await mkdir(temporary);
		const notebook = JSON.parse(await readFile(path.join(PROJECT_ROOT, 'notebooks', '04-exercises-solutions.ipynb'), 'utf8')) as {cells: Array<{metadata: {tags?: string[]}; source: string | string[]}>};
		for (const cell of notebook.cells) if (cell.metadata.tags?.includes('exercise-1')) cell.source = 'while (true) {}';
		await writeFile(path.join(scratch, 'hangs.ipynb'), JSON.stringify(notebook));
		const tsx = path.join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx');
		const grader = spawn(tsx, [path.join(PROJECT_ROOT, 'scripts', 'grade.mts'), path.join(scratch, 'hangs.ipynb'), '--out', path.join(scratch, 'out')], {
			env: {...process.env, TMPDIR: temporary},
			detached: true,
			stdio: 'ignore',
		});
		onTestFinished(() => {
			if (grader.exitCode === null) process.kill(-grader.pid!, 'SIGKILL');
		});
		const exited = new Promise<number | null>((resolve) => grader.once('exit', resolve));
		// The kernel's bubblewrap names the scratch folder on its command line (its binds); its cgroup is the
		// sandbox's, named as the sandbox's network namespace is.
		const cgroupName = (pid: number): string | undefined => /memory:\/pr4e-grading\/([\w-]+)/.exec(readFileSync(`/proc/${pid}/cgroup`, 'utf8'))?.[1];
		const cgroupNameOf = (pid: number): string | undefined => {
			try {
				return cgroupName(pid);
			} catch {
				return undefined; // gone meanwhile
			}
		};
		// The kernel's bubblewrap: the one process that stays (sh and nsenter before it exec on).
		const sandboxNames = (): string[] | false => {
			const names = [
				...new Set(
					processesNaming(scratch)
						.filter((pid) => commandLine(pid).split(' ')[0]?.endsWith('/bwrap'))
						.flatMap((pid) => cgroupNameOf(pid) ?? []),
				),
			];
			return names.length > 0 && names;
		};
		const names = await waitUntil(sandboxNames, {timeoutMs: 30_000, what: 'the submission running in its sandbox'});
		expect(names).toHaveLength(1);
		return {grader, exited, scratch, temporary, names};
	}

	/** What of the run is still on the machine: its folders, namespaces, cgroups and processes. */
	function leftOf(scratch: string, temporary: string, names: readonly string[]): string[] {
		const named = (folder: string): string[] =>
			existsSync(folder)
				? readdirSync(folder)
						.filter((entry) => names.includes(entry))
						.map((entry) => path.join(folder, entry))
				: [];
		return [
			...readdirSync(temporary).filter((entry) => /^(pr4e-grading|lesson-kernel)-/.test(entry)),
			...named('/run/netns'),
			...named('/sys/fs/cgroup/memory/pr4e-grading'),
			...named('/sys/fs/cgroup/pids/pr4e-grading'),
			...processesNaming(scratch).map((pid) => `process ${pid}: ${commandLine(pid).slice(0, 80)}`),
		];
	}

	test('a Ctrl-C stops it with 130 and leaves nothing of the run behind', async () => {
		const {grader, exited, scratch, temporary, names} = await graderBusyInASandbox();
		// A terminal's Ctrl-C goes to the whole foreground process group.
		process.kill(-grader.pid!, 'SIGINT');
		expect(await exited).toBe(130);
		await waitUntil(() => leftOf(scratch, temporary, names).length === 0, {timeoutMs: 10_000, what: 'nothing left'}).catch(() => {});
		expect(leftOf(scratch, temporary, names)).toEqual([]);
	});

	test("killed outright, its guardian removes the run's sandbox for it", async () => {
		const {grader, scratch, temporary, names} = await graderBusyInASandbox();
		// The grader itself (the node process tsx started), with no chance to clean up.
		const graders = readFileSync(`/proc/${grader.pid}/task/${grader.pid}/children`, 'utf8').split(' ').filter(Boolean).map(Number);
		expect(graders).toHaveLength(1);
		process.kill(graders[0]!, 'SIGKILL');
		await waitUntil(() => leftOf(scratch, temporary, names).length === 0, {timeoutMs: 15_000, what: 'the guardian to remove the run'}).catch(() => {});
		expect(leftOf(scratch, temporary, names)).toEqual([]);
	});
});

/** A process's command line, its arguments joined by spaces ('' if it is gone). */
function commandLine(pid: number): string {
	try {
		return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
	} catch {
		return '';
	}
}

/** The live processes whose command line mentions `text`. */
function processesNaming(text: string): number[] {
	return readdirSync('/proc')
		.filter((entry) => /^\d+$/.test(entry))
		.map(Number)
		.filter((pid) => {
			try {
				return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text) && !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
			} catch {
				return false;
			}
		});
}
