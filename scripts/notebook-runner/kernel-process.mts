/**
 * A kernel's process: started from its kernelspec in a process group of its own, watched by a guardian that
 * ends it if the runner dies, interrupted by SIGINT, and always killed in the end with whatever cell code
 * started. What goes over its sockets is kernel-client.mts's business.
 */
// node:child_process itself: the kernel needs a process group of its own and its pid at once, for the guardian.
import {type ChildProcess, spawn} from 'node:child_process';
import {randomUUID} from 'node:crypto';
import {chown, rm} from 'node:fs/promises';
import {createRequire} from 'node:module';
import {setTimeout as sleep} from 'node:timers/promises';
import {fileURLToPath} from 'node:url';
import {releaseGuardian, startGuardian} from '../support/guardian.mjs';
import {type ConnectionInfo, makeConnectionFolder} from './kernel-connection.mjs';
import type {KernelSpec} from './kernelspec.mjs';

const GUARDIAN = fileURLToPath(new URL('./kernel-guardian.cjs', import.meta.url));
const {TAG_VARIABLE, killTaggedProcesses} = createRequire(import.meta.url)('./tagged-processes.cjs') as {
	TAG_VARIABLE: string;
	killTaggedProcesses: (tag: string) => number;
};

/** How much of the kernel's own stdout and stderr is kept for failure reports, in characters. */
const LOG_CHARS = 16384;

/**
 * Something a kernel runs inside (a grading sandbox): it turns the kernel's command into its own, with
 * `env` as the kernel's whole environment and the connection folder bound in. It writes
 * `{"child-pid": N}` on file descriptor 3 (bubblewrap's --info-fd): the kernel's own pid, where interrupts
 * go, since the launcher passes no signal on.
 */
export interface KernelLauncher {
	/** Whom the kernel runs as: its connection folder is theirs. */
	readonly kernelUser: {uid: number; gid: number};
	kernelCommand(argv: readonly string[], env: Readonly<Record<string, string>>, connectionFolder: string, cwd: string): string[];
}

export interface KernelProcessOptions {
	/** The kernel's working folder (Jupyter uses the notebook's). */
	cwd: string;
	/** Start it inside a sandbox (see KernelLauncher), for code that is not trusted. */
	launcher?: KernelLauncher;
}

export class KernelProcess {
	/** How to reach the kernel: the connection file it was started with. */
	readonly connection: ConnectionInfo;
	/** Resolves once the process has exited (or could not be started); `exitReason` says how. */
	readonly exited: Promise<void>;
	readonly #child: ChildProcess;
	readonly #folder: string;
	/** In the environment of the kernel and of every process it starts (see tagged-processes.cjs). */
	readonly #tag: string;
	/** Ends the kernel if this process dies without cleaning up (see kernel-guardian.cjs). */
	readonly #guardian: ChildProcess | undefined;
	/** Whether the kernel runs inside a launcher; then #kernelPid is its own pid, once the launcher said it. */
	readonly #launched: boolean;
	#kernelPid: number | undefined;
	#log = '';
	#exitReason: string | undefined;

	private constructor(child: ChildProcess, connection: ConnectionInfo, folder: string, tag: string, guardian: ChildProcess | undefined, launched: boolean) {
		this.#child = child;
		this.connection = connection;
		this.#folder = folder;
		this.#tag = tag;
		this.#guardian = guardian;
		this.#launched = launched;
		child.stdout?.on('data', (data: Buffer) => this.note(data.toString()));
		child.stderr?.on('data', (data: Buffer) => this.note(data.toString()));
		this.exited = new Promise((resolve) => {
			child.once('exit', (code, signal) => {
				this.#exitReason = signal ? `killed by ${signal}` : `exited with code ${code}`;
				resolve();
			});
			child.on('error', (error) => {
				// Only a spawn that failed leaves no pid; a failed kill is no news about the kernel.
				if (child.pid !== undefined) return;
				this.#exitReason = `could not be started: ${error.message}`;
				resolve();
			});
		});
		if (launched) this.#readKernelPid();
	}

	/** Starts the kernel of `spec` in `options.cwd`, on a new connection folder; it may not answer yet. */
	static async start(spec: KernelSpec, options: KernelProcessOptions): Promise<KernelProcess> {
		const {folder, file, info} = await makeConnectionFolder(spec.name);
		// Another user's kernel must read its connection file and make its sockets there; nobody else may.
		const {launcher} = options;
		if (launcher) for (const owned of [folder, file]) await chown(owned, launcher.kernelUser.uid, launcher.kernelUser.gid);
		const kernelArgv = spec.argv.map((arg) => arg.replaceAll('{connection_file}', file));
		const tag = randomUUID();
		// The tag finds the processes cell code starts even when they leave the group (see tagged-processes.cjs).
		const env = {...spec.env, [TAG_VARIABLE]: tag};
		const argv = launcher ? launcher.kernelCommand(kernelArgv, env, folder, options.cwd) : kernelArgv;
		const child = spawn(argv[0]!, argv.slice(1), {
			cwd: options.cwd,
			// Its own process group, so that killing the group also ends whatever cell code started.
			detached: true,
			stdio: launcher ? ['ignore', 'pipe', 'pipe', 'pipe'] : ['ignore', 'pipe', 'pipe'],
			env: {...process.env, ...env},
		});
		// It carries the kernelspec's environment too, so that a test can find it like the kernel.
		const guardian = child.pid === undefined ? undefined : startGuardian(GUARDIAN, [String(child.pid), folder, tag], spec.env);
		return new KernelProcess(child, info, folder, tag, guardian, launcher !== undefined);
	}

	/** The kernel's process id (also its process group's); a launcher's, inside one. */
	get pid(): number | undefined {
		return this.#child.pid;
	}

	/** Undefined while the kernel runs; otherwise how it ended. */
	get exitReason(): string | undefined {
		return this.#exitReason;
	}

	/** The kernel's own stdout and stderr (tslab's log) and the runner's notes about it, the last 16 KiB. */
	get log(): string {
		return this.#log;
	}

	/** Adds `text` to the log. */
	note(text: string): void {
		this.#log = (this.#log + text).slice(-LOG_CHARS);
	}

	/** Interrupts the running cell with SIGINT, as Jupyter does for kernelspecs without interrupt_mode. */
	interrupt(): void {
		if (this.#exitReason) return;
		// Inside a launcher, the signal goes to the kernel itself; until its pid is known, nowhere (a SIGINT
		// to the launcher would end it, and the kernel with it).
		if (this.#launched) {
			if (this.#kernelPid !== undefined) process.kill(this.#kernelPid, 'SIGINT');
		} else this.#child.kill('SIGINT');
	}

	/** Kills the process group (the kernel and anything cell code started) and removes the connection folder. */
	async kill(): Promise<void> {
		const pid = this.#child.pid;
		if (pid !== undefined) {
			try {
				process.kill(-pid, 'SIGKILL');
			} catch {
				// The group is already gone.
			}
		}
		// Whatever cell code started and sent out of the group (detached, or a daemon) goes too.
		killTaggedProcesses(this.#tag);
		if (this.#child.exitCode === null && this.#child.signalCode === null && pid !== undefined) {
			await Promise.race([this.exited, delay(5000)]);
		}
		await rm(this.#folder, {recursive: true, force: true});
		releaseGuardian(this.#guardian);
	}

	/** Reads the launcher's `{"child-pid": N}` from file descriptor 3. */
	#readKernelPid(): void {
		let text = '';
		const info = this.#child.stdio[3] as NodeJS.ReadableStream | null;
		info?.on('data', (data: Buffer) => {
			text += data.toString();
			const pid = /"child-pid":\s*(\d+)/.exec(text)?.[1];
			if (pid !== undefined) this.#kernelPid = Number(pid);
		});
		info?.on('error', () => {});
	}
}

/** A wait that does not keep the runner alive on its own. */
export function delay(ms: number): Promise<void> {
	return sleep(ms, undefined, {ref: false});
}
