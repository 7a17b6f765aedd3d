/**
 * The runner's side of the wire to a kernel (Jupyter's messaging spec): signed requests on shell and control,
 * replies and iopub messages matched to their request by parent msg_id (late ones included), kernel_info
 * repeated until iopub is surely connected, and a cell's time limit enforced through the kernel's process.
 */
import * as zmq from 'zeromq';
import {iopubMessage} from './iopub.mjs';
import {type ConnectionInfo, channelEndpoint} from './kernel-connection.mjs';
import {KernelError} from './kernel-error.mjs';
import {type JupyterMessage, MessageCodec} from './wire.mjs';

/** How a cell's execution ended. */
export type ExecuteStatus = 'ok' | 'error' | 'abort' | 'timeout' | 'dead';

export interface ExecuteOutcome {
	readonly status: ExecuteStatus;
	/** Why, for `timeout` and `dead`: what happened to the kernel. */
	readonly detail: string;
}

export interface ExecuteOptions {
	/** How long the cell may run, in milliseconds; then the kernel is interrupted. */
	timeoutMs: number;
	/** Receives every iopub message the cell causes, also ones that arrive after it finished (a timer's output). */
	onOutput: (message: JupyterMessage) => void;
	/** How long an interrupted cell may take to stop, in milliseconds, before the kernel is killed. Default: 5000. */
	interruptGraceMs?: number;
	/** Not counted, nothing shown (the spec's `silent`). Default: false. */
	silent?: boolean;
	/**
	 * Whether the kernel should abort the requests queued behind this cell if it fails (the spec's
	 * `stop_on_error`). False for a cell that may fail and be followed by more, as nbclient sends it. Default: true.
	 */
	stopOnError?: boolean;
}

/** What the client needs of the kernel's process (kernel-process.mts; a stand-in in tests). */
export interface KernelProcessHandle {
	/** Undefined while the kernel runs; otherwise how it ended. */
	readonly exitReason: string | undefined;
	readonly exited: Promise<void>;
	/** The kernel's own log, for errors. */
	readonly log: string;
	/** Adds to that log. */
	note(text: string): void;
	interrupt(): void;
	kill(): Promise<void>;
}

/** How often a cell past its time limit is interrupted again while the client waits for it to stop. */
const INTERRUPT_REPEAT_MS = 1000;
/** How long after its last kernel_info_request the client sends another while the kernel does not answer. */
const KERNEL_INFO_REPEAT_MS = 250;

interface Pending {
	onOutput: (message: JupyterMessage) => void;
	reply?: JupyterMessage;
	/** Called when the reply arrives, idle or not. */
	onReply?: () => void;
	idle: boolean;
	settle?: () => void;
}

export class KernelClient {
	readonly #codec: MessageCodec;
	readonly #shell = new zmq.Dealer({linger: 0});
	readonly #control = new zmq.Dealer({linger: 0});
	readonly #iopub = new zmq.Subscriber({linger: 0});
	readonly #process: KernelProcessHandle;
	/** Every request sent, by msg_id; iopub messages are routed to them, late ones included. */
	readonly #requests = new Map<string, Pending>();
	readonly #sendQueues = new Map<zmq.Dealer, Promise<void>>();

	/** Connects to the kernel of `connection`; nothing is sent until a request is made. */
	constructor(connection: ConnectionInfo, kernelProcess: KernelProcessHandle) {
		this.#codec = new MessageCodec(connection.key);
		this.#process = kernelProcess;
		this.#iopub.subscribe();
		this.#shell.connect(channelEndpoint(connection, connection.shell_port));
		this.#iopub.connect(channelEndpoint(connection, connection.iopub_port));
		this.#control.connect(channelEndpoint(connection, connection.control_port));
		for (const socket of [this.#shell, this.#control, this.#iopub]) this.#listen(socket);
		void kernelProcess.exited.then(() => {
			for (const pending of this.#requests.values()) pending.settle?.();
		});
	}

	/**
	 * Resolves once the kernel answered kernel_info and iopub is connected. Early iopub messages can be lost
	 * while the subscription is being set up, so kernel_info is repeated until one of them is seen going idle
	 * on iopub. Every request stays registered, since the kernel answers the queued ones all at once when up.
	 */
	async waitUntilReady(timeoutMs: number): Promise<void> {
		const deadline = Date.now() + timeoutMs;
		let ready = false;
		let wake: () => void = () => {};
		const sent: string[] = [];
		try {
			while (!ready && Date.now() < deadline) {
				if (this.#process.exitReason) break;
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
					setTimeout(resolve, KERNEL_INFO_REPEAT_MS);
				});
			}
		} finally {
			for (const id of sent) this.#requests.delete(id);
		}
		if (this.#process.exitReason) throw new KernelError(`the kernel ${this.#process.exitReason} while starting\n${this.#process.log}`);
		if (!ready) throw new KernelError(`the kernel did not answer within ${timeoutMs / 1000} s\n${this.#process.log}`);
	}

	/**
	 * Executes `code`. On `timeoutMs` the kernel is interrupted, again each second; if the cell does not
	 * end within `interruptGraceMs` the kernel is killed.
	 */
	async execute(code: string, options: ExecuteOptions): Promise<ExecuteOutcome> {
		if (this.#process.exitReason) return {status: 'dead', detail: `the kernel ${this.#process.exitReason}`};
		const silent = options.silent === true;
		const request = this.#codec.create('execute_request', {
			code,
			silent,
			// A silent cell is not counted (the spec's execute_request).
			store_history: !silent,
			user_expressions: {},
			allow_stdin: false,
			stop_on_error: options.stopOnError ?? true,
		});
		const pending: Pending = {onOutput: options.onOutput, idle: false};
		const done = new Promise<void>((resolve) => (pending.settle = resolve));
		const finished = (): boolean => (pending.reply !== undefined && pending.idle) || this.#process.exitReason !== undefined;
		this.#requests.set(request.header.msg_id, pending);
		await this.#send(this.#shell, request);

		if (!(await settledWithin(done, finished, options.timeoutMs))) {
			const grace = options.interruptGraceMs ?? 5000;
			// Again each second of the grace: a SIGINT that lands while tslab still compiles the cell (a busy
			// machine) is spent before the cell's code runs, and a busy loop would never hear another.
			for (let waited = 0; waited < grace; waited += INTERRUPT_REPEAT_MS) {
				this.#process.interrupt();
				if (await settledWithin(done, finished, Math.min(INTERRUPT_REPEAT_MS, grace - waited))) {
					return {status: 'timeout', detail: `interrupted after ${options.timeoutMs / 1000} s`};
				}
			}
			await this.#process.kill();
			return {status: 'timeout', detail: `killed after ${options.timeoutMs / 1000} s: an interrupt got no answer within ${grace / 1000} s`};
		}
		if (pending.reply === undefined || !pending.idle) return {status: 'dead', detail: `the kernel ${this.#process.exitReason}`};
		const status = pending.reply.content['status'];
		return {status: status === 'ok' || status === 'error' || status === 'abort' ? status : 'error', detail: ''};
	}

	/**
	 * Interrupts the running cell with an interrupt_request on the control channel (Jupyter's way for
	 * interrupt_mode "message"); resolves with the reply's status, or undefined if none came within `timeoutMs`.
	 */
	async requestInterrupt(timeoutMs = 5000): Promise<string | undefined> {
		if (this.#process.exitReason) return undefined;
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

	/** Sends a shutdown_request on the control channel; whether the kernel then exits is the process's affair. */
	async requestShutdown(): Promise<void> {
		await this.#send(this.#control, this.#codec.create('shutdown_request', {restart: false}));
	}

	/** Closes the sockets; requests still waiting are never answered. */
	close(): void {
		for (const socket of [this.#shell, this.#control, this.#iopub]) socket.close();
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
						this.#process.note(`\nrunner: could not handle a message: ${(error as Error).message}`);
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

/** Waits for `done`, or `ms`; true if `isDone()` holds by then. */
async function settledWithin(done: Promise<void>, isDone: () => boolean, ms: number): Promise<boolean> {
	let timer: NodeJS.Timeout | undefined;
	await Promise.race([done, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
	clearTimeout(timer);
	return isDone();
}
