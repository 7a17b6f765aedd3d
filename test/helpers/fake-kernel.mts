/**
 * A fake Jupyter kernel on real ZeroMQ sockets (ipc, in a connection folder of its own), for testing the
 * runner's kernel client on the protocol alone, as nbclient tests its client against a fake kernel. It
 * speaks the messaging spec as tslab does: busy, execute_input, outputs, reply, idle; and after a failed
 * cell sent with stop_on_error it aborts the next execute request. (tslab aborts those that arrive within
 * 200 ms; the fake counts instead of timing, so that a slow machine cannot turn an abort into a run.)
 * What a cell does is looked up by its code in `cells`.
 */
import {rm} from 'node:fs/promises';
import * as zmq from 'zeromq';
import type {KernelProcessHandle} from '../../scripts/notebook-runner/kernel-client.mjs';
import {channelEndpoint, type ConnectionInfo, makeConnectionFolder} from '../../scripts/notebook-runner/kernel-connection.mjs';
import {type JupyterMessage, MessageCodec} from '../../scripts/notebook-runner/wire.mjs';

/** What a fake cell does. */
export interface FakeCell {
	/** Printed on stdout before the reply. */
	readonly stdout?: string;
	/** Ends with an `error` message and an error reply. */
	readonly fails?: boolean;
	/** Never ends on its own: only an interrupt (a signal or a request) ends it, with an error. */
	readonly hangs?: boolean;
	/** Even an interrupt does not end it (a busy loop that never hears the signal). */
	readonly deaf?: boolean;
	/** Printed on stdout this long after the cell ended, under the cell (as a timer's output is). */
	readonly lateStdout?: {readonly text: string; readonly afterMs: number};
}

/** An execute_request as the fake kernel received it. */
export interface ReceivedExecute {
	readonly code: string;
	readonly silent: unknown;
	readonly storeHistory: unknown;
	readonly stopOnError: unknown;
	/** What the fake answered; undefined until then. */
	status: 'ok' | 'error' | 'abort' | undefined;
}

export interface FakeKernelHooks {
	/** The connection folder, removed by `close`. */
	readonly folder?: string;
	/** Called with each execute_request once it was answered. */
	readonly onExecuted?: (received: ReceivedExecute) => void;
	/** Called once a shutdown_request was answered. */
	readonly onShutdown?: () => void;
}

export class FakeKernel {
	readonly connection: ConnectionInfo;
	/** Every execute_request received, in order. */
	readonly executes: ReceivedExecute[] = [];
	/** How many kernel_info_requests arrived; the first `ignoredKernelInfos` go unanswered. */
	kernelInfos = 0;
	ignoredKernelInfos = 0;
	/** How many interrupts (signals and interrupt_requests) arrived. */
	interrupts = 0;
	readonly #hooks: FakeKernelHooks;
	readonly #codec: MessageCodec;
	readonly #cells: Readonly<Record<string, FakeCell>>;
	readonly #shell = new zmq.Router({linger: 0});
	readonly #control = new zmq.Router({linger: 0});
	readonly #iopub = new zmq.Publisher({linger: 0});
	/** Set by a cell that failed with stop_on_error: the next execute request is aborted. */
	#abortNext = false;
	#count = 0;
	/** Ends the running cell, if one runs and can hear it. */
	#interruptRunning: (() => void) | undefined;
	/** One request at a time, as a kernel's shell does. */
	#queue: Promise<void> = Promise.resolve();

	private constructor(connection: ConnectionInfo, cells: Readonly<Record<string, FakeCell>>, hooks: FakeKernelHooks) {
		this.#hooks = hooks;
		this.connection = connection;
		this.#codec = new MessageCodec(connection.key);
		this.#cells = cells;
	}

	/** Binds the fake kernel's sockets in a new connection folder, which `close` removes. */
	static async start(cells: Readonly<Record<string, FakeCell>> = {}): Promise<FakeKernel> {
		const {folder, info} = await makeConnectionFolder('fake');
		return FakeKernel.serve(info, cells, {folder});
	}

	/** Binds the fake kernel's sockets where `info` says (a kernel process's connection file). */
	static async serve(info: ConnectionInfo, cells: Readonly<Record<string, FakeCell>>, hooks: FakeKernelHooks = {}): Promise<FakeKernel> {
		const kernel = new FakeKernel(info, cells, hooks);
		await kernel.#shell.bind(channelEndpoint(info, info.shell_port));
		await kernel.#control.bind(channelEndpoint(info, info.control_port));
		await kernel.#iopub.bind(channelEndpoint(info, info.iopub_port));
		kernel.#serve(kernel.#shell, (identity, request) => (kernel.#queue = kernel.#queue.then(() => kernel.#onShell(identity, request))));
		kernel.#serve(kernel.#control, (identity, request) => kernel.#onControl(identity, request));
		return kernel;
	}

	/** What SIGINT does to a kernel: the running cell ends with an error, unless it is deaf. */
	interrupt(): void {
		this.interrupts += 1;
		this.#interruptRunning?.();
	}

	async close(): Promise<void> {
		for (const socket of [this.#shell, this.#control, this.#iopub]) socket.close();
		if (this.#hooks.folder !== undefined) await rm(this.#hooks.folder, {recursive: true, force: true});
	}

	async #onShell(identity: Buffer[], request: JupyterMessage): Promise<void> {
		await this.#publish('status', {execution_state: 'busy'}, request);
		if (request.header.msg_type === 'kernel_info_request') {
			this.kernelInfos += 1;
			if (this.kernelInfos <= this.ignoredKernelInfos) return;
			await this.#reply(identity, 'kernel_info_reply', {status: 'ok', protocol_version: '5.3', implementation: 'fake'}, request);
		} else if (request.header.msg_type === 'execute_request') {
			await this.#reply(identity, 'execute_reply', await this.#execute(request), request);
		}
		await this.#publish('status', {execution_state: 'idle'}, request);
	}

	async #execute(request: JupyterMessage): Promise<Record<string, unknown>> {
		const {code, silent, store_history: storeHistory, stop_on_error: stopOnError} = request.content;
		const received: ReceivedExecute = {code: String(code), silent, storeHistory, stopOnError, status: undefined};
		this.executes.push(received);
		const reply = await this.#answer(request, received);
		received.status = reply['status'] as ReceivedExecute['status'];
		this.#hooks.onExecuted?.(received);
		return reply;
	}

	async #answer(request: JupyterMessage, received: ReceivedExecute): Promise<Record<string, unknown>> {
		if (this.#abortNext) {
			this.#abortNext = false;
			return {status: 'abort'};
		}
		const cell = this.#cells[received.code] ?? {};
		if (received.silent !== true) this.#count += 1;
		await this.#publish('execute_input', {code: received.code, execution_count: this.#count}, request);
		if (cell.stdout !== undefined) await this.#publish('stream', {name: 'stdout', text: cell.stdout}, request);
		let fails = cell.fails === true;
		if (cell.hangs) {
			await new Promise<void>((resolve) => (this.#interruptRunning = cell.deaf ? undefined : resolve));
			this.#interruptRunning = undefined;
			fails = true;
		}
		if (cell.lateStdout) {
			const {text, afterMs} = cell.lateStdout;
			setTimeout(() => void this.#publish('stream', {name: 'stdout', text}, request).catch(() => {}), afterMs);
		}
		if (!fails) return {status: 'ok', execution_count: this.#count, user_expressions: {}};
		const error = {ename: 'Error', evalue: `${received.code} failed`, traceback: [`Error: ${received.code} failed`]};
		await this.#publish('error', error, request);
		if (received.stopOnError !== false) this.#abortNext = true;
		return {status: 'error', execution_count: this.#count, ...error};
	}

	async #onControl(identity: Buffer[], request: JupyterMessage): Promise<void> {
		if (request.header.msg_type === 'interrupt_request') {
			this.interrupt();
			await this.#reply(identity, 'interrupt_reply', {status: 'ok'}, request);
		} else if (request.header.msg_type === 'shutdown_request') {
			await this.#reply(identity, 'shutdown_reply', {status: 'ok', restart: false}, request);
			this.#hooks.onShutdown?.();
		}
	}

	#message(msgType: string, content: Record<string, unknown>, parent: JupyterMessage): JupyterMessage<Record<string, unknown>> {
		return {...this.#codec.create(msgType, content), parent_header: parent.header};
	}

	async #reply(identity: Buffer[], msgType: string, content: Record<string, unknown>, parent: JupyterMessage): Promise<void> {
		await this.#shellOrControl(parent).send([...identity, ...this.#codec.encode(this.#message(msgType, content, parent))]);
	}

	#shellOrControl(parent: JupyterMessage): zmq.Router {
		return parent.header.msg_type === 'interrupt_request' || parent.header.msg_type === 'shutdown_request' ? this.#control : this.#shell;
	}

	async #publish(msgType: string, content: Record<string, unknown>, parent: JupyterMessage): Promise<void> {
		await this.#iopub.send(this.#codec.encode(this.#message(msgType, content, parent)));
	}

	#serve(socket: zmq.Router, handle: (identity: Buffer[], request: JupyterMessage) => Promise<void>): void {
		void (async () => {
			try {
				for await (const frames of socket) {
					const delimiter = frames.findIndex((frame) => frame.toString() === '<IDS|MSG>');
					const request = this.#codec.decode(frames);
					if (request) void handle(frames.slice(0, delimiter), request).catch(() => {});
				}
			} catch {
				// Closed at the end of the test.
			}
		})();
	}
}

/**
 * A stand-in for the kernel's process beside a FakeKernel: a signal reaches the fake at once, and a kill
 * or `exit` ends it as a process exit would.
 */
export class FakeKernelProcess implements KernelProcessHandle {
	readonly exited: Promise<void>;
	kills = 0;
	#exitReason: string | undefined;
	#log = '';
	#resolveExit: () => void = () => {};

	constructor(readonly kernel: FakeKernel) {
		this.exited = new Promise((resolve) => (this.#resolveExit = resolve));
	}

	get exitReason(): string | undefined {
		return this.#exitReason;
	}

	get log(): string {
		return this.#log;
	}

	note(text: string): void {
		this.#log += text;
	}

	interrupt(): void {
		if (!this.#exitReason) this.kernel.interrupt();
	}

	async kill(): Promise<void> {
		this.kills += 1;
		this.exit('killed by SIGKILL');
	}

	/** The kernel's process ends, as a crash would end it. */
	exit(reason: string): void {
		this.#exitReason ??= reason;
		this.#resolveExit();
	}
}
