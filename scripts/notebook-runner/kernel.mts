/**
 * A Jupyter kernel started from its kernelspec and driven over ZeroMQ, with what tslab needs:
 * iopub messages matched by parent id, kernel_info repeated until iopub is surely connected,
 * interrupts by SIGINT, and a process group that is always killed in the end.
 */
import {type ChildProcess, spawn} from 'node:child_process';
import {chown, mkdtemp, rm, writeFile} from 'node:fs/promises';
import {setTimeout as sleep} from 'node:timers/promises';
import {tmpdir} from 'node:os';
import * as path from 'node:path';
import {randomUUID} from 'node:crypto';
import {createRequire} from 'node:module';
import {fileURLToPath} from 'node:url';
import * as zmq from 'zeromq';
import type {KernelSpec} from './kernelspec.mjs';
import {iopubMessage} from './iopub.mjs';
import {releaseGuardian, startGuardian} from '../support/guardian.mjs';
import {type JupyterMessage, MessageCodec} from './wire.mjs';

const GUARDIAN = fileURLToPath(new URL('./kernel-guardian.cjs', import.meta.url));
const {TAG_VARIABLE, killTaggedProcesses} = createRequire(import.meta.url)('./tagged-processes.cjs') as {
	TAG_VARIABLE: string;
	killTaggedProcesses: (tag: string) => number;
};

/** How a cell's execution ended. */
export type ExecuteStatus = 'ok' | 'error' | 'abort' | 'timeout' | 'dead';

export interface ExecuteOutcome {
	readonly status: ExecuteStatus;
	/** Why, for `timeout` and `dead`: what happened to the kernel. */
	readonly detail: string;
}

export interface KernelStartOptions {
	/** The kernel's working folder (Jupyter uses the notebook's). */
	cwd: string;
	/** How long the kernel may take to answer kernel_info. Default: 60 s. */
	startTimeoutMs?: number;
	/** Start it inside a sandbox (see KernelLauncher), for code that is not trusted. */
	launcher?: KernelLauncher;
}

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

/** Thrown when a kernel cannot be started or stops answering. */
export class KernelError extends Error {}

/** The longest path a Unix socket can have (sun_path, 108 bytes with its terminating zero, on Linux). */
const MAX_SOCKET_PATH_BYTES = 107;

interface Pending {
	onOutput: (message: JupyterMessage) => void;
	reply?: JupyterMessage;
	/** Called when the reply arrives, idle or not. */
	onReply?: () => void;
	idle: boolean;
	settle?: () => void;
}

export class Kernel {
	/** Every kernel started and not yet killed, so that an interrupted runner can end them all. */
	static readonly #running = new Set<Kernel>();

	/** Kills every kernel this process started (for SIGINT/SIGTERM handlers). */
	static async killAll(): Promise<void> {
		await Promise.all([...Kernel.#running].map((kernel) => kernel.kill()));
	}

	readonly #child: ChildProcess;
	readonly #codec: MessageCodec;
	readonly #shell: zmq.Dealer;
	readonly #control: zmq.Dealer;
	readonly #iopub: zmq.Subscriber;
	readonly #folder: string;
	/** In the environment of the kernel and of every process it starts (see tagged-processes.cjs). */
	readonly #tag: string;
	/** Ends the kernel if this process dies without cleaning up (see kernel-guardian.cjs). */
	readonly #guardian: ChildProcess | undefined;
	/** Every request sent, by msg_id; iopub messages are routed to them, late ones included. */
	readonly #requests = new Map<string, Pending>();
	readonly #sendQueues = new Map<zmq.Dealer, Promise<void>>();
	/** Whether the kernel runs inside a launcher; then #kernelPid is its own pid, once the launcher said it. */
	#launched = false;
	#kernelPid: number | undefined;
	/** The kernel's own stdout and stderr (tslab's logs), last 16 KiB, for failure reports. */
	#log = '';
	#exit: string | undefined;
	readonly #exited: Promise<void>;

	private constructor(child: ChildProcess, key: string, folder: string, tag: string, guardian: ChildProcess | undefined) {
		this.#child = child;
		this.#tag = tag;
		this.#guardian = guardian;
		this.#codec = new MessageCodec(key);
		this.#folder = folder;
		this.#shell = new zmq.Dealer({linger: 0});
		this.#control = new zmq.Dealer({linger: 0});
		this.#iopub = new zmq.Subscriber({linger: 0});
		this.#iopub.subscribe();
		const keepLog = (data: Buffer): void => {
			this.#log = (this.#log + data.toString()).slice(-16384);
		};
		child.stdout?.on('data', keepLog);
		child.stderr?.on('data', keepLog);
		this.#exited = new Promise((resolve) => {
			child.once('exit', (code, signal) => {
				this.#exit = signal ? `killed by ${signal}` : `exited with code ${code}`;
				for (const pending of this.#requests.values()) pending.settle?.();
				resolve();
			});
		});
	}

	/**
	 * Starts the kernel in `cwd` and resolves once it answers kernel_info and iopub is connected. Its
	 * channels are Unix sockets (Jupyter's ipc transport) in a folder of its own, not loopback TCP ports,
	 * which every local user could connect to: the folder (mode 700, from mkdtemp) keeps everyone else out.
	 * The connection file and the sockets share that one folder, so that a sandbox can mount it whole.
	 */
	static async start(spec: KernelSpec, options: KernelStartOptions): Promise<Kernel> {
		const folder = await mkdtemp(path.join(tmpdir(), 'lesson-kernel-'));
		// Jupyter's ipc endpoints are the files `{ip}-{port}`: here <folder>/kernel-1 ... kernel-5.
		const ip = path.join(folder, 'kernel');
		const endpoint = (port: number): string => `ipc://${ip}-${port}`;
		if (Buffer.byteLength(`${ip}-5`) > MAX_SOCKET_PATH_BYTES) {
			await rm(folder, {recursive: true, force: true});
			throw new KernelError(`the kernel's socket path ${ip}-5 is longer than ${MAX_SOCKET_PATH_BYTES} bytes: set TMPDIR to a shorter folder`);
		}
		const key = randomUUID();
		const tag = randomUUID();
		const connection = {
			transport: 'ipc',
			ip,
			shell_port: 1,
			iopub_port: 2,
			stdin_port: 3,
			control_port: 4,
			hb_port: 5,
			key,
			signature_scheme: 'hmac-sha256',
			kernel_name: spec.name,
		};
		const connectionFile = path.join(folder, 'connection.json');
		await writeFile(connectionFile, JSON.stringify(connection), {mode: 0o600});
		// Another user's kernel must read its connection file and make its sockets there; nobody else may.
		const {launcher} = options;
		if (launcher) for (const owned of [folder, connectionFile]) await chown(owned, launcher.kernelUser.uid, launcher.kernelUser.gid);
		const kernelArgv = spec.argv.map((arg) => arg.replaceAll('{connection_file}', connectionFile));
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
		const kernel = new Kernel(child, key, folder, tag, guardian);
		Kernel.#running.add(kernel);
		if (launcher) kernel.#readKernelPid(child);
		child.once('error', (error) => {
			kernel.#exit = `could not be started: ${error.message}`;
		});
		try {
			kernel.#shell.connect(endpoint(connection.shell_port));
			kernel.#iopub.connect(endpoint(connection.iopub_port));
			kernel.#control.connect(endpoint(connection.control_port));
			kernel.#listen(kernel.#shell);
			kernel.#listen(kernel.#control);
			kernel.#listen(kernel.#iopub);
			await kernel.#waitUntilReady(options.startTimeoutMs ?? 60_000);
			return kernel;
		} catch (error) {
			await kernel.kill();
			throw error;
		}
	}

	/** The kernel's process id (also its process group's). */
	get pid(): number | undefined {
		return this.#child.pid;
	}

	/** Undefined while the kernel runs; otherwise how it ended. */
	get exitReason(): string | undefined {
		return this.#exit;
	}

	/** The kernel's own log (tslab's messages), for reports. */
	get log(): string {
		return this.#log;
	}

	/**
	 * Executes `code`. `onOutput` receives every iopub message the cell causes, also ones that arrive after
	 * the cell finished (a timer's output, say). On `timeoutMs` the kernel is interrupted; if it does not
	 * answer within `interruptGraceMs` it is killed.
	 */
	async execute(
		code: string,
		options: {timeoutMs: number; onOutput: (message: JupyterMessage) => void; interruptGraceMs?: number; silent?: boolean},
	): Promise<ExecuteOutcome> {
		if (this.#exit) return {status: 'dead', detail: `the kernel ${this.#exit}`};
		// A silent cell is not counted and shows nothing (Jupyter's messaging spec, execute_request).
		const silent = options.silent === true;
		const request = this.#codec.create('execute_request', {
			code,
			silent,
			store_history: !silent,
			user_expressions: {},
			allow_stdin: false,
			stop_on_error: true,
		});
		const pending: Pending = {onOutput: options.onOutput, idle: false};
		const done = new Promise<void>((resolve) => (pending.settle = resolve));
		const finished = (): boolean => (pending.reply !== undefined && pending.idle) || this.#exit !== undefined;
		this.#requests.set(request.header.msg_id, pending);
		await this.#send(this.#shell, request);

		if (!(await settledWithin(done, finished, options.timeoutMs))) {
			const grace = options.interruptGraceMs ?? 5000;
			// Again each second of the grace: a SIGINT that lands while tslab still compiles the cell (a busy
			// machine) is spent before the cell's code runs, and a busy loop would never hear another.
			for (let waited = 0; waited < grace; waited += INTERRUPT_REPEAT_MS) {
				this.interrupt();
				if (await settledWithin(done, finished, Math.min(INTERRUPT_REPEAT_MS, grace - waited))) {
					return {status: 'timeout', detail: `interrupted after ${options.timeoutMs / 1000} s`};
				}
			}
			await this.kill();
			return {status: 'timeout', detail: `killed after ${options.timeoutMs / 1000} s: an interrupt got no answer within ${grace / 1000} s`};
		}
		if (pending.reply === undefined || !pending.idle) return {status: 'dead', detail: `the kernel ${this.#exit}`};
		const status = pending.reply.content['status'];
		return {status: status === 'ok' || status === 'error' || status === 'abort' ? status : 'error', detail: ''};
	}

	/** Interrupts the running cell with SIGINT, as Jupyter does for kernelspecs without interrupt_mode. */
	interrupt(): void {
		if (this.#exit) return;
		// Inside a launcher, the signal goes to the kernel itself; until its pid is known, nowhere (a SIGINT
		// to the launcher would end it, and the kernel with it).
		if (this.#launched) {
			if (this.#kernelPid !== undefined) process.kill(this.#kernelPid, 'SIGINT');
		} else this.#child.kill('SIGINT');
	}

	/**
	 * Interrupts the running cell with an interrupt_request on the control channel (Jupyter's way for
	 * interrupt_mode "message"); resolves with the reply's status, or undefined if none came within `timeoutMs`.
	 */
	async requestInterrupt(timeoutMs = 5000): Promise<string | undefined> {
		if (this.#exit) return undefined;
		const request = this.#codec.create('interrupt_request', {});
		const pending: Pending = {onOutput: () => {}, idle: false};
		const replied = new Promise<void>((resolve) => (pending.onReply = resolve));
		this.#requests.set(request.header.msg_id, pending);
		try {
			await this.#send(this.#control, request);
			await settledWithin(replied, () => pending.reply !== undefined, timeoutMs);
			return pending.reply === undefined ? undefined : String(pending.reply.content['status']);
		} finally {
			this.#requests.delete(request.header.msg_id);
		}
	}

	/** Asks the kernel to shut down, then makes sure its whole process group is gone. */
	async shutdown(): Promise<void> {
		if (!this.#exit) {
			await this.#send(this.#control, this.#codec.create('shutdown_request', {restart: false})).catch(() => {});
			await Promise.race([this.#exited, delay(2000)]);
		}
		await this.kill();
	}

	/** Kills the kernel's process group (the kernel and anything cell code started) and frees everything. */
	async kill(): Promise<void> {
		Kernel.#running.delete(this);
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
			await Promise.race([this.#exited, delay(5000)]);
		}
		for (const socket of [this.#shell, this.#control, this.#iopub]) socket.close();
		await rm(this.#folder, {recursive: true, force: true});
		releaseGuardian(this.#guardian);
	}

	/** Reads the launcher's `{"child-pid": N}` from file descriptor 3. */
	#readKernelPid(child: ChildProcess): void {
		this.#launched = true;
		let text = '';
		const info = child.stdio[3] as NodeJS.ReadableStream | null;
		info?.on('data', (data: Buffer) => {
			text += data.toString();
			const pid = /"child-pid":\s*(\d+)/.exec(text)?.[1];
			if (pid !== undefined) this.#kernelPid = Number(pid);
		});
		info?.on('error', () => {});
	}

	async #waitUntilReady(timeoutMs: number): Promise<void> {
		// Early iopub messages can be lost while the subscription is being set up, so repeat kernel_info
		// until one of them is seen going idle on iopub: then iopub is surely connected. Every request
		// stays registered, since the kernel answers the queued ones all at once when it is up.
		const deadline = Date.now() + timeoutMs;
		let ready = false;
		let wake: () => void = () => {};
		const sent: string[] = [];
		try {
			while (!ready && Date.now() < deadline) {
				if (this.#exit) throw new KernelError(`the kernel ${this.#exit} while starting\n${this.#log}`);
				const request = this.#codec.create('kernel_info_request', {});
				const pending: Pending = {onOutput: () => {}, idle: false};
				pending.settle = () => {
					ready ||= pending.reply !== undefined && pending.idle;
					wake();
				};
				this.#requests.set(request.header.msg_id, pending);
				sent.push(request.header.msg_id);
				await this.#send(this.#shell, request);
				await new Promise<void>((resolve) => {
					wake = resolve;
					setTimeout(resolve, 250);
				});
			}
		} finally {
			for (const id of sent) this.#requests.delete(id);
		}
		if (this.#exit) throw new KernelError(`the kernel ${this.#exit} while starting\n${this.#log}`);
		if (!ready) throw new KernelError(`the kernel did not answer within ${timeoutMs / 1000} s\n${this.#log}`);
	}

	#send(socket: zmq.Dealer, message: JupyterMessage<unknown>): Promise<void> {
		// zeromq allows one send in flight per socket.
		const previous = this.#sendQueues.get(socket) ?? Promise.resolve();
		const next = previous.then(() => socket.send(this.#codec.encode(message)));
		this.#sendQueues.set(
			socket,
			next.catch(() => {}),
		);
		return next;
	}

	#listen(socket: zmq.Dealer | zmq.Subscriber): void {
		void (async () => {
			try {
				for await (const frames of socket) {
					try {
						this.#dispatch(socket === this.#iopub, frames);
					} catch (error) {
						// One message we cannot handle must not stop the loop: later cells would never finish.
						this.#log = `${this.#log}\nrunner: could not handle a message: ${(error as Error).message}`.slice(-16384);
					}
				}
			} catch {
				// The socket was closed: the kernel is being shut down.
			}
		})();
	}

	#dispatch(fromIopub: boolean, frames: Buffer[]): void {
		const message = this.#codec.decode(frames);
		const parent = message?.parent_header.msg_id;
		const pending = parent === undefined ? undefined : this.#requests.get(parent);
		if (!message || !pending) return;
		if (!fromIopub) {
			pending.reply = message;
			pending.onReply?.();
		} else if (message.header.msg_type === 'status') {
			const status = iopubMessage(message);
			pending.idle ||= status?.type === 'status' && status.executionState === 'idle';
		} else pending.onOutput(message);
		if (pending.reply && pending.idle) pending.settle?.();
	}
}

/** How often a cell past its time limit is interrupted again while the runner waits for it to stop. */
const INTERRUPT_REPEAT_MS = 1000;

/** Waits for `done`, or `ms`; true if `isDone()` holds by then. */
async function settledWithin(done: Promise<void>, isDone: () => boolean, ms: number): Promise<boolean> {
	let timer: NodeJS.Timeout | undefined;
	await Promise.race([done, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
	clearTimeout(timer);
	return isDone();
}

/** A wait that does not keep the runner alive on its own. */
function delay(ms: number): Promise<void> {
	return sleep(ms, undefined, {ref: false});
}
