/**
 * A sandbox for one graded submission, made with bubblewrap: the submission's kernel sees only the system's
 * programs, the project's library and packages read-only, its one writable folder and a private /tmp and
 * /dev/shm; it runs as a user id no account uses, as the first process of a PID namespace of its own (every
 * process it starts dies with it), in a network namespace whose loopback it shares with the grader's judge
 * alone, under memory and process limits. The judge runs beside it as another such user, in a sandbox of
 * its own, so the submission can reach it only over that loopback. Everything is removed afterwards, and
 * any process of either user still alive then is killed and reported.
 */
// node:child_process for the judge's bubblewrap alone: its stdin and stdout are the judge's protocol (stdin
// ended to stop it), and SIGKILL goes to bwrap itself, whose PID namespace takes the judge with it.
import {type ChildProcess, spawn} from 'node:child_process';
import {randomBytes, randomInt} from 'node:crypto';
import {existsSync, lstatSync, readlinkSync} from 'node:fs';
import {chmod, chown, mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import * as path from 'node:path';
import {createInterface} from 'node:readline';
import {fileURLToPath} from 'node:url';
import {$} from 'zx/core';
import {succeeded} from '../support/program-error.mjs';
import {PROJECT_ROOT} from '../support/project-paths.mjs';
import {cgroupProcesses, killProcess, removeCgroup} from '../support/cgroups.mjs';
import {releaseGuardian, startGuardian} from '../support/guardian.mjs';
import {setTimeout as sleep} from 'node:timers/promises';
import {idIsFree, processesOf, type SandboxTools} from './sandbox-tools.mjs';

/** What bounds a submission's processes. */
export interface SandboxLimits {
	/** All its processes together, in MiB (a cgroup; without cgroups only the kernel's heap is bounded). */
	readonly memoryMiB: number;
	/** Processes and threads together (a cgroup, and RLIMIT_NPROC for its user). */
	readonly processes: number;
	/** The largest file it may write, in MiB (RLIMIT_FSIZE). */
	readonly fileMiB: number;
}

export interface User {
	readonly uid: number;
	readonly gid: number;
}

/** What the judge says, as it says it: its port first, then a verdict per exercise. */
export type JudgeLine = {port: number} | {verdict: unknown};

/** Where user ids for sandboxes are drawn from: far above any distribution's accounts and container ranges. */
const FIRST_ID = 1_500_000_000;
const ID_RANGE = 500_000_000;

/** The project's parts a kernel needs, bound read-only at the same place under the sandbox's folder. */
const KERNEL_READ_ONLY = ['node_modules', 'dist', path.join('lib', 'replica', 'data'), 'package.json'];
/** And the judge's: the compiled library and the chapter's files. */
const JUDGE_READ_ONLY = ['dist', path.join('lib', 'replica', 'data')];

export class GradingSandbox {
	readonly #tools: SandboxTools;
	readonly #limits: SandboxLimits;
	/** The cgroups made so far (memory, pids). */
	readonly #cgroups: string[] = [];
	#judge: ChildProcess | undefined;

	private constructor(
		tools: SandboxTools,
		limits: SandboxLimits,
		/** Its network namespace's and cgroups' name. */
		readonly name: string,
		/** The one folder the submission may write to (its notebook goes in `notebooks/`). */
		readonly folder: string,
		readonly kernelUser: User,
		readonly judgeUser: User,
	) {
		this.#tools = tools;
		this.#limits = limits;
	}

	/**
	 * Makes the sandbox's users, folder, network namespace and cgroups (the latter two called `name`).
	 * `parent` must be a folder only root can write. GradingRun makes sandboxes; tests may too.
	 */
	static async create(tools: SandboxTools, parent: string, limits: SandboxLimits, name: string): Promise<GradingSandbox> {
		const kernelId = freeId();
		let judgeId = freeId();
		while (judgeId === kernelId) judgeId = freeId();
		const folder = await mkdtemp(path.join(parent, 'submission-'));
		const sandbox = new GradingSandbox(tools, limits, name, folder, {uid: kernelId, gid: kernelId}, {uid: judgeId, gid: judgeId});
		try {
			await sandbox.#make();
			return sandbox;
		} catch (error) {
			await sandbox.destroy();
			throw error;
		}
	}

	async #make(): Promise<void> {
		await mkdir(path.join(this.folder, 'notebooks'));
		for (const owned of [this.folder, path.join(this.folder, 'notebooks')]) await chown(owned, this.kernelUser.uid, this.kernelUser.gid);
		const ip = this.#tools.paths.ip;
		await succeeded($({quiet: true})`${ip} netns add ${this.name}`);
		await succeeded($({quiet: true})`${ip} -n ${this.name} link set lo up`);
		const roots = this.#tools.cgroups;
		if (!roots) return;
		const memory = path.join(roots.memory, CGROUP_FOLDER, this.name);
		const pids = path.join(roots.pids, CGROUP_FOLDER, this.name);
		for (const cgroup of [memory, pids]) {
			await mkdir(cgroup, {recursive: true});
			this.#cgroups.push(cgroup);
		}
		const bytes = String(this.#limits.memoryMiB * 1024 * 1024);
		await writeFile(path.join(memory, 'memory.limit_in_bytes'), bytes);
		// No swap to spill into, where the kernel accounts for it.
		if (existsSync(path.join(memory, 'memory.memsw.limit_in_bytes'))) await writeFile(path.join(memory, 'memory.memsw.limit_in_bytes'), bytes);
		await writeFile(path.join(pids, 'pids.max'), String(this.#limits.processes));
	}

	/**
	 * The command that runs `argv` (a kernel, as its kernelspec says) inside the sandbox as the submission's
	 * user, with `env` as its whole environment and `connectionFolder` (the kernel's connection file and
	 * sockets) bound in. Paths into the project's node_modules are rewritten to where the sandbox has them.
	 * bubblewrap writes `{"child-pid": N}` on file descriptor 3: the kernel's pid, for interrupts.
	 */
	kernelCommand(argv: readonly string[], env: Readonly<Record<string, string>>, connectionFolder: string, cwd: string): string[] {
		const inside = argv.map((arg) => (arg.startsWith(PROJECT_ROOT) ? path.join(this.folder, path.relative(PROJECT_ROOT, arg)) : arg));
		const limits = this.#limits;
		return [
			...this.#enter(true),
			...bubblewrap({folder: this.folder, writable: true, readOnly: KERNEL_READ_ONLY, env}),
			'--bind',
			connectionFolder,
			connectionFolder,
			'--chdir',
			cwd,
			'--info-fd',
			'3',
			'--',
			this.#tools.paths.prlimit,
			`--nproc=${limits.processes}`,
			`--fsize=${limits.fileMiB * 1024 * 1024}`,
			'--core=0',
			'--',
			...dropTo(this.#tools, this.kernelUser),
			...inside,
		];
	}

	/**
	 * Starts the judge (dist/lesson/judge-process.js) in the sandbox's network namespace as the judge's
	 * user; resolves with its port, and hands `onLine` each line it prints. `destroy` stops it.
	 */
	async startJudge(onLine: (line: JudgeLine) => void): Promise<number> {
		const entry = path.join(JUDGE_FOLDER, 'dist', 'lesson', 'judge-process.js');
		const argv = [...this.#enter(false), ...bubblewrap({folder: JUDGE_FOLDER, writable: false, readOnly: JUDGE_READ_ONLY, env: {}}), '--', ...dropTo(this.#tools, this.judgeUser), process.execPath, entry];
		const judge = spawn(argv[0]!, argv.slice(1), {stdio: ['pipe', 'pipe', 'pipe']});
		this.#judge = judge;
		let log = '';
		judge.stderr?.on('data', (data: Buffer) => (log = (log + data.toString()).slice(-4000)));
		return new Promise<number>((resolve, reject) => {
			judge.once('error', reject);
			judge.once('exit', (code) => reject(new Error(`the judge exited (${code}) before it listened: ${log.trim()}`)));
			createInterface({input: judge.stdout!}).on('line', (text) => {
				let line: unknown;
				try {
					line = JSON.parse(text);
				} catch {
					return;
				}
				if (typeof line !== 'object' || line === null) return;
				if ('port' in line && typeof line.port === 'number') resolve(line.port);
				onLine(line as JudgeLine);
			});
		});
	}

	/**
	 * Stops the judge, kills any process of the sandbox's users still alive, and removes the cgroups, the
	 * network namespace and the folder. Resolves with what was wrong: processes that outlived the run, and
	 * anything that could not be removed (nothing, when all went well).
	 */
	async destroy(): Promise<string[]> {
		const judge = this.#judge;
		if (judge && judge.exitCode === null && judge.signalCode === null) {
			judge.stdin?.end();
			await Promise.race([new Promise((resolve) => judge.once('exit', resolve)), sleep(3000)]);
			judge.kill('SIGKILL');
		}
		const problems: string[] = [];
		// Whatever is still in its cgroups (bubblewrap itself, if its parent vanished without killing it) goes first.
		for (const cgroup of this.#cgroups) for (const pid of await cgroupProcesses(cgroup)) killProcess(pid);
		const ids = [this.kernelUser.uid, this.judgeUser.uid];
		const survivors = processesOf(ids);
		if (survivors.length > 0) problems.push(`${survivors.length} of its processes outlived the run and were killed`);
		for (const pid of survivors) killProcess(pid);
		for (const cgroup of this.#cgroups) if (!(await removeCgroup(cgroup))) problems.push(`${cgroup} could not be removed`);
		if (existsSync(`/run/netns/${this.name}`)) {
			await succeeded($({quiet: true})`${this.#tools.paths.ip} netns delete ${this.name}`).catch((error: Error) => problems.push(`network namespace ${this.name}: ${error.message}`));
		}
		await rm(this.folder, {recursive: true, force: true});
		return problems;
	}

	/** Into the cgroups (the submission's side only), then into the network namespace. */
	#enter(limited: boolean): string[] {
		const join = limited ? this.#cgroups.map((cgroup) => `echo $$ > ${shellQuote(path.join(cgroup, 'cgroup.procs'))}`) : [];
		return ['/bin/sh', '-c', [...join, 'exec "$@"'].join(' && '), 'sh', this.#tools.paths.nsenter, `--net=/run/netns/${this.name}`, '--', this.#tools.paths.bwrap];
	}
}

/** A random id no account, group or process uses. */
function freeId(): number {
	for (let attempt = 0; attempt < 100; attempt++) {
		const id = FIRST_ID + randomInt(ID_RANGE);
		if (idIsFree(id)) return id;
	}
	throw new Error('found no free user id for a sandbox in 100 tries');
}

/** Where the judge's sandbox has its read-only copy of the project's parts. */
const JUDGE_FOLDER = '/judge';

interface BubblewrapLayout {
	/** The sandbox's own folder: bound from the same path outside (writable), or made empty inside. */
	readonly folder: string;
	readonly writable: boolean;
	/** Paths in the project, bound read-only at the same place under `folder`. */
	readonly readOnly: readonly string[];
	/** The whole environment inside, besides PATH, HOME and LANG. */
	readonly env: Readonly<Record<string, string>>;
}

/**
 * bubblewrap's arguments for a sandbox that sees the system's programs read-only, `layout`'s folder, and
 * nothing else of the machine. Its own PID, IPC and UTS namespaces; the network namespace is the one it
 * is started in.
 */
function bubblewrap(layout: BubblewrapLayout): string[] {
	const system: string[] = [];
	for (const top of ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32']) {
		const info = lstatSync(top, {throwIfNoEntry: false});
		if (info?.isSymbolicLink()) system.push('--symlink', readlinkSync(top), top);
		else if (info?.isDirectory()) system.push('--ro-bind', top, top);
	}
	const etc = ['/etc/hosts', '/etc/nsswitch.conf', '/etc/localtime'].filter((file) => existsSync(file));
	const readOnly = layout.readOnly.map((part) => [path.join(PROJECT_ROOT, part), path.join(layout.folder, part)] as const);
	const env = {PATH: '/usr/local/bin:/usr/bin:/bin', HOME: layout.folder, LANG: 'C.UTF-8', ...layout.env};
	return [
		'--unshare-pid',
		'--unshare-ipc',
		'--unshare-uts',
		'--unshare-cgroup-try',
		// The first process of its PID namespace: when it ends, every process it started ends with it.
		'--as-pid-1',
		'--die-with-parent',
		// A new session: no way back to the grader's terminal (TIOCSTI).
		'--new-session',
		'--ro-bind',
		'/usr',
		'/usr',
		...system,
		// A /tmp and /dev/shm of its own, in memory: what it leaves there is gone with it.
		'--proc',
		'/proc',
		'--dev',
		'/dev',
		'--perms',
		'1777',
		'--tmpfs',
		'/dev/shm',
		'--perms',
		'1777',
		'--tmpfs',
		'/tmp',
		// bubblewrap makes the folders above a mount point mode 700, which the sandbox's user could not pass.
		...[...etc, layout.folder].flatMap((file) => foldersAbove(file).flatMap((folder) => ['--dir', folder])),
		...etc.flatMap((file) => ['--ro-bind', file, file]),
		...(layout.writable ? ['--bind', layout.folder, layout.folder] : ['--dir', layout.folder]),
		...readOnly.flatMap(([, inside]) => foldersAbove(inside).filter((folder) => folder.startsWith(`${layout.folder}/`))).flatMap((folder) => ['--dir', folder]),
		...readOnly.flatMap(([outside, inside]) => ['--ro-bind', outside, inside]),
		'--clearenv',
		...Object.entries(env).flatMap(([name, value]) => ['--setenv', name, value]),
	];
}

/** `/a`, `/a/b` for `/a/b/c`. */
function foldersAbove(file: string): string[] {
	const folders: string[] = [];
	for (let folder = path.dirname(file); folder !== path.dirname(folder); folder = path.dirname(folder)) folders.unshift(folder);
	return folders;
}

/** setpriv's arguments to become `user` with no other groups, no capabilities and no way to gain any. */
function dropTo(tools: SandboxTools, user: User): string[] {
	return [tools.paths.setpriv, `--reuid=${user.uid}`, `--regid=${user.gid}`, '--clear-groups', '--no-new-privs', '--inh-caps=-all', '--bounding-set=-all', '--'];
}

function shellQuote(text: string): string {
	return `'${text.replaceAll("'", `'\\''`)}'`;
}

/** Where the grading guardian is, and the folder under each cgroup controller that holds the sandboxes' cgroups. */
const GRADING_GUARDIAN = fileURLToPath(new URL('./grading-guardian.cjs', import.meta.url));
const CGROUP_FOLDER = 'pr4e-grading';

/**
 * One run of the grader: its sandboxes, in a folder only root may write to (others may only pass through),
 * their namespaces and cgroups named after the run, and a guardian that removes them all should the grader
 * die without doing so (killed outright, or its parent gone before it could clean up).
 */
export class GradingRun {
	readonly #tools: SandboxTools;
	readonly #sandboxes = new Set<GradingSandbox>();
	readonly #guardian: ChildProcess;
	#made = 0;

	private constructor(
		tools: SandboxTools,
		readonly folder: string,
		readonly name: string,
	) {
		this.#tools = tools;
		const cgroupParents = tools.cgroups ? [tools.cgroups.memory, tools.cgroups.pids].map((root) => path.join(root, CGROUP_FOLDER)) : [];
		this.#guardian = startGuardian(GRADING_GUARDIAN, [folder, name, tools.paths.ip, ...cgroupParents]);
	}

	static async start(tools: SandboxTools): Promise<GradingRun> {
		const folder = await mkdtemp(path.join(tmpdir(), 'pr4e-grading-'));
		await chmod(folder, 0o711);
		return new GradingRun(tools, folder, `pr4e-${randomBytes(4).toString('hex')}`);
	}

	/** A new sandbox of this run. */
	async sandbox(limits: SandboxLimits): Promise<GradingSandbox> {
		const sandbox = await GradingSandbox.create(this.#tools, this.folder, limits, `${this.name}-${++this.#made}`);
		this.#sandboxes.add(sandbox);
		return sandbox;
	}

	/** Destroys a sandbox of this run; resolves with what was wrong (see GradingSandbox.destroy). */
	async destroy(sandbox: GradingSandbox): Promise<string[]> {
		this.#sandboxes.delete(sandbox);
		return sandbox.destroy();
	}

	/** Destroys every sandbox still there and removes the run's folder (also on SIGINT/SIGTERM). */
	async end(): Promise<void> {
		await Promise.all([...this.#sandboxes].map((sandbox) => this.destroy(sandbox)));
		await rm(this.folder, {recursive: true, force: true});
		releaseGuardian(this.#guardian);
	}
}
