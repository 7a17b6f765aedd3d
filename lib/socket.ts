import * as net from 'node:net';
import {
	ConnectError,
	ConnectionLostError,
	HostNotFoundError,
	SocketClosedError,
	TimeoutError,
} from './errors';
import {ReadSlabs} from './read-slabs';

/** Options for `Socket.connect`. */
export interface SocketOptions {
	/**
	 * How long one operation (the connect, one `sendall`, one `recv`) may take, in milliseconds, like
	 * Python's `settimeout`. A timed-out operation rejects with `TimeoutError`; the socket stays usable.
	 * Default: no limit.
	 */
	timeoutMs?: number;
	/**
	 * How many received bytes the socket holds before it stops reading from the OS, in bytes; one read
	 * from the OS takes at most this many (except into a `receiveInto` destination), so it holds at most
	 * about twice this. Past it the OS receive buffer fills and TCP flow control makes the sender wait, as
	 * it would for a Python program that stops calling recv. Default: 262144 (256 KiB).
	 */
	bufferBytes?: number;
}

interface PendingRecv {
	maxBytes: number;
	resolve: (data: Buffer) => void;
	reject: (error: Error) => void;
	timer: NodeJS.Timeout | undefined;
}

/** Passes reads to the Socket, which exists only once the connection is made. */
interface ReadHandoff {
	readonly slabs: ReadSlabs;
	deliver: (chunk: Buffer) => boolean;
}

const DEFAULT_BUFFER_BYTES = 256 * 1024;

const DNS_FAILURES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NONAME', 'EAI_NODATA']);

/**
 * A TCP socket with the calls of Python's `socket` module, as promises.
 *
 * `recv(n)` behaves like POSIX recv: it resolves as soon as any bytes are there, with at most `n` of them,
 * and with an empty buffer once the peer has closed and everything was read.
 */
export class Socket {
	readonly host: string;
	readonly port: number;
	readonly #socket: net.Socket;
	readonly #timeoutMs: number | undefined;
	readonly #bufferBytes: number;
	readonly #slabs: ReadSlabs;
	/** Received bytes not yet handed out by recv, oldest first. */
	readonly #received: Buffer[] = [];
	#receivedBytes = 0;
	/** recv calls waiting for bytes, served in call order so that concurrent calls never interleave. */
	readonly #waiting: PendingRecv[] = [];
	#ended = false;
	#closed = false;
	#readingPaused = false;
	#failure: Error | undefined;

	private constructor(socket: net.Socket, host: string, port: number, options: SocketOptions, reads: ReadHandoff) {
		this.#socket = socket;
		this.#slabs = reads.slabs;
		this.host = host;
		this.port = port;
		this.#timeoutMs = options.timeoutMs;
		this.#bufferBytes = options.bufferBytes ?? DEFAULT_BUFFER_BYTES;
		reads.deliver = (chunk) => this.#onData(chunk);
		socket.on('end', () => {
			this.#ended = true;
			this.#serveWaiting();
		});
		socket.on('error', (error: NodeJS.ErrnoException) => {
			this.#failure ??= new ConnectionLostError(this.address, error.code ?? error.message, {cause: error});
			this.#serveWaiting();
		});
		socket.on('close', () => {
			this.#ended = true;
			this.#serveWaiting();
		});
	}

	/** Bytes received from the OS and waiting for recv (at most about twice `bufferBytes`). */
	get buffered(): number {
		return this.#receivedBytes;
	}

	/** `host:port`, as error messages name it. */
	get address(): string {
		return `${this.host}:${this.port}`;
	}

	/** Opens a TCP connection; resolves once it is established. */
	static async connect(host: string, port: number, options: SocketOptions = {}): Promise<Socket> {
		checkPort(port);
		if (options.timeoutMs !== undefined) checkTimeout(options.timeoutMs);
		if (options.bufferBytes !== undefined) checkSize('bufferBytes', options.bufferBytes);
		return new Promise((resolve, reject) => {
			const slabs = new ReadSlabs(options.bufferBytes ?? DEFAULT_BUFFER_BYTES);
			const reads: ReadHandoff = {slabs, deliver: () => true};
			const socket = net.connect({
				host,
				port,
				// Reads land in our slabs, and views of them are what recv hands out (see ReadSlabs).
				onread: {buffer: () => slabs.region(), callback: (bytes) => reads.deliver(slabs.commit(bytes))},
			});
			const fail = (error: Error): void => {
				clearTimeout(timer);
				socket.destroy();
				reject(error);
			};
			const timer =
				options.timeoutMs === undefined
					? undefined
					: setTimeout(() => fail(new TimeoutError('connect', `${host}:${port}`, options.timeoutMs!)), options.timeoutMs);
			socket.once('error', (error: NodeJS.ErrnoException) => fail(describeConnectFailure(host, port, error)));
			socket.once('connect', () => {
				clearTimeout(timer);
				socket.removeAllListeners('error');
				// Small writes go out at once: the lesson is about what is on the wire when.
				socket.setNoDelay(true);
				resolve(new Socket(socket, host, port, options, reads));
			});
		});
	}

	/** Sends every byte of `data` (a string is sent as UTF-8); resolves when all were handed to the OS. */
	sendall(data: string | Uint8Array): Promise<void> {
		if (this.#closed) return Promise.reject(new SocketClosedError('sendall', this.address));
		if (this.#failure) return Promise.reject(this.#failure);
		if (typeof data !== 'string' && !(data instanceof Uint8Array)) {
			return Promise.reject(new TypeError(`sendall takes a string or bytes (Uint8Array), got ${typeof data}`));
		}
		return new Promise((resolve, reject) => {
			const timer =
				this.#timeoutMs === undefined
					? undefined
					: setTimeout(() => reject(new TimeoutError('sendall', this.address, this.#timeoutMs!)), this.#timeoutMs);
			this.#socket.write(data, (error) => {
				clearTimeout(timer);
				if (!error) resolve();
				else if (this.#closed) reject(new SocketClosedError('sendall', this.address));
				else reject(this.#failure ?? new ConnectionLostError(this.address, error.message, {cause: error}));
			});
		});
	}

	/**
	 * Resolves with 1 to `maxBytes` bytes as soon as any are available, or with an empty buffer once
	 * the peer has closed the connection and every byte was read.
	 */
	recv(maxBytes: number): Promise<Buffer> {
		// The common case in a bulk download: bytes are already here and nobody is queued before us.
		if (this.#receivedBytes > 0 && this.#waiting.length === 0 && !this.#closed && Number.isSafeInteger(maxBytes) && maxBytes > 0) {
			const data = this.#take(maxBytes);
			this.#resumeIfRoom();
			return Promise.resolve(data);
		}
		return new Promise((resolve, reject) => {
			checkSize('maxBytes', maxBytes);
			if (this.#closed) throw new SocketClosedError('recv', this.address);
			const pending: PendingRecv = {maxBytes, resolve, reject, timer: undefined};
			this.#waiting.push(pending);
			this.#serveWaiting();
			if (this.#waiting.includes(pending) && this.#timeoutMs !== undefined) {
				pending.timer = setTimeout(() => {
					this.#waiting.splice(this.#waiting.indexOf(pending), 1);
					reject(new TimeoutError('recv', this.address, this.#timeoutMs!));
				}, this.#timeoutMs);
			}
		});
	}

	/**
	 * For bulk downloads: let the OS write the stream straight into `destination`, byte `i` of the stream
	 * (counting from the first byte this socket received) at `destination[i]`, from the next read on and
	 * while it has room. recv then returns views of `destination`, so a caller that keeps the whole
	 * response there needs no copy. Bytes read before this call are not moved. A read may then fill all
	 * of the destination's rest at once (fewer, larger reads), so this is for readers that keep up, not
	 * for flow-control experiments.
	 */
	receiveInto(destination: Buffer): void {
		this.#slabs.setDestination(destination);
	}

	/** Closes the connection. Waiting recv calls reject with `SocketClosedError`. Safe to call twice. */
	close(): Promise<void> {
		if (!this.#closed) {
			this.#closed = true;
			for (const pending of this.#waiting.splice(0)) {
				clearTimeout(pending.timer);
				pending.reject(new SocketClosedError('recv', this.address));
			}
			this.#received.length = 0;
			this.#receivedBytes = 0;
		}
		if (this.#socket.closed) return Promise.resolve();
		return new Promise((resolve) => {
			this.#socket.once('close', () => resolve());
			this.#socket.destroy();
		});
	}

	/** Takes one read's bytes; returns false to stop reading from the OS until recv has made room. */
	#onData(chunk: Buffer): boolean {
		this.#received.push(chunk);
		this.#receivedBytes += chunk.length;
		this.#serveWaiting();
		// While enough is buffered, the OS buffer fills instead and TCP flow control slows the sender,
		// which is what the chapter's sleeping reader shows. Returning false stops reading.
		this.#readingPaused = this.#receivedBytes >= this.#bufferBytes;
		return !this.#readingPaused;
	}

	#serveWaiting(): void {
		while (this.#waiting.length > 0) {
			let data: Buffer;
			if (this.#receivedBytes > 0) data = this.#take(this.#waiting[0]!.maxBytes);
			else if (this.#failure) data = Buffer.alloc(0);
			else if (this.#ended) data = Buffer.alloc(0);
			else return;
			const pending = this.#waiting.shift()!;
			clearTimeout(pending.timer);
			// A broken connection is reported only after every byte that did arrive was handed out.
			if (data.length === 0 && this.#failure) pending.reject(this.#failure);
			else pending.resolve(data);
		}
		this.#resumeIfRoom();
	}

	#resumeIfRoom(): void {
		if (this.#readingPaused && this.#receivedBytes < this.#bufferBytes && !this.#ended) {
			this.#readingPaused = false;
			this.#socket.resume();
		}
	}

	/** Removes and returns up to `maxBytes` of the oldest received bytes, copying only to join chunks. */
	#take(maxBytes: number): Buffer {
		const first = this.#received[0]!;
		let data: Buffer;
		if (first.length > maxBytes) {
			data = first.subarray(0, maxBytes);
			this.#received[0] = first.subarray(maxBytes);
		} else if (first.length === maxBytes || this.#received.length === 1) {
			data = first;
			this.#received.shift();
		} else {
			data = Buffer.allocUnsafe(Math.min(maxBytes, this.#receivedBytes));
			let filled = 0;
			while (filled < data.length) {
				const chunk = this.#received[0]!;
				const used = Math.min(chunk.length, data.length - filled);
				chunk.copy(data, filled, 0, used);
				filled += used;
				if (used === chunk.length) this.#received.shift();
				else this.#received[0] = chunk.subarray(used);
			}
		}
		this.#receivedBytes -= data.length;
		return data;
	}
}

function describeConnectFailure(host: string, port: number, error: NodeJS.ErrnoException): Error {
	const code = error.code ?? 'unknown error';
	if (DNS_FAILURES.has(code)) {
		const reason = code === 'EAI_AGAIN' ? 'EAI_AGAIN: name lookup failed, is this machine offline?' : code;
		return new HostNotFoundError(host, port, reason, {cause: error});
	}
	const reason = code === 'ECONNREFUSED' ? 'connection refused (ECONNREFUSED): is a server listening there?' : code;
	return new ConnectError(host, port, reason, {cause: error});
}

function checkPort(port: number): void {
	if (!Number.isInteger(port) || port < 1 || port > 65535) {
		throw new RangeError(`port must be an integer from 1 to 65535, got ${port}`);
	}
}

function checkTimeout(timeoutMs: number): void {
	if (!(timeoutMs > 0) || !Number.isFinite(timeoutMs)) {
		throw new RangeError(`timeoutMs must be a positive number of milliseconds, got ${timeoutMs}`);
	}
}

/** Sizes are whole positive byte counts: recv(0) would be ambiguous with end of stream. */
export function checkSize(name: string, value: number): void {
	if (!Number.isSafeInteger(value) || value < 1) {
		throw new RangeError(`${name} must be a whole number of bytes, at least 1, got ${value}`);
	}
}
