/**
 * A Jupyter kernel the runner started: its process (kernel-process.mts) and the client that talks to it
 * (kernel-client.mts), started together, ready once it answers, and killed together. Every kernel started
 * and not yet killed is known, so that an interrupted runner can end them all.
 */
import {KernelClient, type ExecuteOptions, type ExecuteOutcome} from './kernel-client.mjs';
import {delay, KernelProcess, type KernelProcessOptions} from './kernel-process.mjs';
import type {KernelSpec} from './kernelspec.mjs';

export type {ExecuteOptions, ExecuteOutcome, ExecuteStatus} from './kernel-client.mjs';
export {KernelError} from './kernel-error.mjs';
export type {KernelLauncher} from './kernel-process.mjs';

export interface KernelStartOptions extends KernelProcessOptions {
	/** How long the kernel may take to answer kernel_info, in milliseconds. Default: 60000. */
	startTimeoutMs?: number;
}

/** How long a kernel asked to shut down may take to exit before it is killed, in milliseconds. */
const SHUTDOWN_GRACE_MS = 2000;

export class Kernel {
	static readonly #running = new Set<Kernel>();

	/** Kills every kernel this process started (for SIGINT/SIGTERM handlers). */
	static async killAll(): Promise<void> {
		await Promise.all([...Kernel.#running].map((kernel) => kernel.kill()));
	}

	readonly #process: KernelProcess;
	readonly #client: KernelClient;

	private constructor(kernelProcess: KernelProcess) {
		this.#process = kernelProcess;
		this.#client = new KernelClient(kernelProcess.connection, kernelProcess);
	}

	/** Starts the kernel in `options.cwd` and resolves once it answers kernel_info and iopub is connected. */
	static async start(spec: KernelSpec, options: KernelStartOptions): Promise<Kernel> {
		const kernelProcess = await KernelProcess.start(spec, options);
		let kernel: Kernel;
		try {
			kernel = new Kernel(kernelProcess);
		} catch (error) {
			// The client's sockets could not be made (EMFILE, say): the kernel must not outlive the error.
			await kernelProcess.kill();
			throw error;
		}
		Kernel.#running.add(kernel);
		try {
			await kernel.#client.waitUntilReady(options.startTimeoutMs ?? 60_000);
			return kernel;
		} catch (error) {
			await kernel.kill();
			throw error;
		}
	}

	/** The kernel's process id (also its process group's). */
	get pid(): number | undefined {
		return this.#process.pid;
	}

	/** Undefined while the kernel runs; otherwise how it ended. */
	get exitReason(): string | undefined {
		return this.#process.exitReason;
	}

	/** The kernel's own log (tslab's messages), for reports. */
	get log(): string {
		return this.#process.log;
	}

	/** Executes `code`: see ExecuteOptions, and KernelClient.execute for the time limit. */
	execute(code: string, options: ExecuteOptions): Promise<ExecuteOutcome> {
		return this.#client.execute(code, options);
	}

	/** Interrupts the running cell with SIGINT, as Jupyter does for kernelspecs without interrupt_mode. */
	interrupt(): void {
		this.#process.interrupt();
	}

	/** Interrupts the running cell with an interrupt_request on the control channel: see KernelClient. */
	requestInterrupt(timeoutMs?: number): Promise<string | undefined> {
		return this.#client.requestInterrupt(timeoutMs);
	}

	/** Asks the kernel to shut down, then makes sure its whole process group is gone. */
	async shutdown(): Promise<void> {
		if (!this.#process.exitReason) {
			await this.#client.requestShutdown().catch(() => {});
			await Promise.race([this.#process.exited, delay(SHUTDOWN_GRACE_MS)]);
		}
		await this.kill();
	}

	/** Kills the kernel's process group (the kernel and anything cell code started) and frees everything. */
	async kill(): Promise<void> {
		Kernel.#running.delete(this);
		try {
			await this.#process.kill();
		} finally {
			this.#client.close();
		}
	}
}
