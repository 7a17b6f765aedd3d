import * as net from 'node:net';
import {type CallSite, ConnectError, ConnectionLostError, HostNotFoundError, type PartialTransfer, RecvAfterEndError, SocketClosedError, TimeoutError, withCallSite} from '../errors';
import {beginCall, type InterruptibleCall} from './interrupts';
import {ReadSlabs} from './read-slabs';
import {byteCount, bytesToSend, milliseconds, portNumber} from '../options';

/** Options for `Socket.connect`. */
export interface SocketOptions {
	/**
	 * How long one operation (the connect, one `sendall`, one `recv`) may take, in milliseconds, like
	 * Python's `settimeout`. A timed-out operation rejects with `TimeoutError`; the socket stays usable.
	 * Default: no limit.
	 */
	timeoutMs?: number;
}

/**
 * What `retrieve` adds to a socket's options: where the bytes it gathered so far are, so that every error the
 * socket makes carries them as `partial` from its constructor on. Not part of the package's face.
 */
export interface TransferOptions extends SocketOptions {
	partial?: () => PartialTransfer;
}

interface PendingRecv {
	readonly maxBytes: number;
	/** queued behind another recv, reading (its read is under way), or answering (being settled). */
	state: 'queued' | 'reading' | 'answering';
	readonly resolve: (data: Buffer) => void;
	readonly reject: (error: Error) => void;
	readonly call: InterruptibleCall;
	timer: NodeJS.Timeout | undefined;
}

/**
 * How many empty results in a row recv gives after the end of the stream before it says the loop forgot
 * its `break`. A correct loop takes one; a forgotten break takes them by the thousand within milliseconds.
 */
export const EMPTY_RECVS_BEFORE_ERROR = 1000;

/** The size recv is prepared for before the first call: the chapter's. */
const FIRST_RECV_SIZE = 5120;

const DNS_FAILURES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NONAME', 'EAI_NODATA']);

/** The part of a libuv stream handle that recv needs beyond Node's public API (see #prepareRead). */
interface UserBufferHandle {
	useUserBuffer(buffer: Buffer): void;
}

/**
 * A TCP socket with the calls of Python's `socket` module, as promises.
 *
 * `recv(n)` behaves like Python's: each call makes one read of at most `n` bytes from the OS when it is
 * made, resolving as soon as any bytes are there, and with an empty buffer once the peer has closed and
 * everything was read. Nothing is read ahead: bytes nobody has asked for wait in the operating system's
 * receive buffer, and when it is full TCP flow control makes the sender wait.
 */
export class Socket {
	readonly host: string;
	readonly port: number;
	/** `host:port`, as error messages name it. */
	readonly address: string;
	readonly #socket: net.Socket;
	readonly #timeoutMs: number | undefined;
	readonly #partial: (() => PartialTransfer) | undefined;
	readonly #slabs: ReadSlabs;
	/** recv calls in call order; only the first one's read is ever under way. */
	readonly #waiting: PendingRecv[] = [];
	/** The region the OS will read into next: Node asks for it after every read (see connect's onread). */
	#prepared: Buffer;
	#ended = false;
	#closed = false;
	#failure: Error | undefined;
	#emptyResults = 0;
	/** Set from a short read until the next turn of the event loop (see #onRead). */
	#afterShortRead = false;

	private constructor(socket: net.Socket, host: string, port: number, options: TransferOptions, reads: ReadHandoff) {
		this.#socket = socket;
		this.#slabs = reads.slabs;
		this.#prepared = reads.prepared;
		this.host = host;
		this.port = port;
		this.address = `${host}:${port}`;
		this.#timeoutMs = options.timeoutMs;
		this.#partial = options.partial;
		reads.onRead = (bytes) => this.#onRead(bytes);
		reads.nextRegion = () => (this.#prepared = this.#slabs.region(this.#waiting[0]?.maxBytes ?? this.#prepared.length));
		socket.on('end', () => {
			this.#ended = true;
			this.#serveWaiting();
		});
		socket.on('error', (error: NodeJS.ErrnoException) => {
			this.#failure ??= new ConnectionLostError(this.address, error.code ?? error.message, {cause: error, ...this.#errorOptions()});
			this.#serveWaiting();
		});
		socket.on('close', () => {
			this.#ended = true;
			this.#serveWaiting();
		});
	}

	/** The local port of the connection, as `ss` or /proc/net/tcp show it (undefined once closed). */
	get localPort(): number | undefined {
		return this.#socket.localPort;
	}

	/** Opens a TCP connection; resolves once it is established. */
	static connect(host: string, port: number, options: TransferOptions = {}): Promise<Socket> {
		// A failure comes from an event handler; the caller's line goes on its stack (see withCallSite).
		const callSite: CallSite = {};
		Error.captureStackTrace(callSite, Socket.connect);
		return new Promise((resolve, reject) => {
			portNumber('port', port);
			if (options.timeoutMs !== undefined) milliseconds('timeoutMs', options.timeoutMs, 'above zero');
			const slabs = new ReadSlabs();
			const reads: ReadHandoff = {slabs, prepared: slabs.region(FIRST_RECV_SIZE), onRead: () => false, nextRegion: () => reads.prepared};
			const socket = net.connect({
				host,
				port,
				// Each read lands in a region exactly as long as the recv asked for; returning false from the
				// callback stops reading after it, so the OS keeps whatever nobody has asked for yet.
				onread: {buffer: () => reads.nextRegion(), callback: (bytes) => reads.onRead(bytes)},
			});
			const call = beginCall('connect', `${host}:${port}`, (error) => fail(error));
			const fail = (error: Error): void => {
				clearTimeout(timer);
				call.settle();
				socket.destroy();
				reject(withCallSite(error, callSite));
			};
			const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => fail(new TimeoutError('connect', `${host}:${port}`, options.timeoutMs!)), options.timeoutMs);
			socket.once('error', (error: NodeJS.ErrnoException) => fail(describeConnectFailure(host, port, error)));
			socket.once('connect', () => {
				clearTimeout(timer);
				call.settle();
				socket.removeAllListeners('error');
				// Paused before Node starts its first read: nothing is read until recv asks.
				socket.pause();
				// Small writes go out at once: the lesson is about what is on the wire when.
				socket.setNoDelay(true);
				resolve(new Socket(socket, host, port, options, reads));
			});
		});
	}

	/** Sends every byte of `data` (a string is sent as UTF-8); resolves when all were handed to the OS. */
	sendall(data: string | Uint8Array): Promise<void> {
		if (this.#closed) return Promise.reject(new SocketClosedError('sendall', this.address, this.#errorOptions()));
		if (this.#failure) return Promise.reject(this.#failure);
		return new Promise((resolve, reject) => {
			bytesToSend('data', data);
			const call = beginCall('sendall', this.address, (error) => settle(error), this.#partial);
			const settle = (error?: Error): void => {
				clearTimeout(timer);
				call.settle();
				if (error) reject(error);
				else resolve();
			};
			const timer = this.#timeoutMs === undefined ? undefined : setTimeout(() => settle(new TimeoutError('sendall', this.address, this.#timeoutMs!, this.#errorOptions())), this.#timeoutMs);
			this.#socket.write(data, (error) => {
				if (!error) settle();
				else if (this.#closed) settle(new SocketClosedError('sendall', this.address, this.#errorOptions()));
				else settle(this.#failure ?? new ConnectionLostError(this.address, error.message, {cause: error, ...this.#errorOptions()}));
			});
		});
	}

	/**
	 * Makes one read of at most `maxBytes` bytes from the OS. Resolves with 1 to `maxBytes` bytes as soon as
	 * any are available, or with an empty buffer once the peer has closed the connection and every byte
	 * was read. Concurrent calls are served one after the other, in call order.
	 */
	recv(maxBytes: number): Promise<Buffer> {
		return new Promise((resolve, reject) => {
			byteCount('maxBytes', maxBytes);
			if (this.#closed) throw new SocketClosedError('recv', this.address, this.#errorOptions());
			const call = beginCall('recv', this.address, (error) => this.#drop(pending, error), this.#partial);
			const pending: PendingRecv = {maxBytes, state: 'queued', resolve, reject, call, timer: undefined};
			this.#waiting.push(pending);
			if (this.#timeoutMs !== undefined) {
				pending.timer = setTimeout(() => this.#drop(pending, new TimeoutError('recv', this.address, this.#timeoutMs!, this.#errorOptions())), this.#timeoutMs);
			}
			this.#serveWaiting();
		});
	}

	/**
	 * For bulk downloads: from the next read on, let the OS write the stream straight into `destination`,
	 * byte `i` of the stream (counting from the first byte this socket received) at `destination[i]`. recv
	 * then returns views of `destination`, so a caller that keeps the whole response there needs no copy.
	 * Each read is still exactly as large as its recv asked for; bytes read before this call are not moved.
	 */
	receiveInto(destination: Buffer): void {
		this.#slabs.setDestination(destination);
	}

	/** Closes the connection. Waiting recv calls reject with `SocketClosedError`. Safe to call twice. */
	close(): Promise<void> {
		if (!this.#closed) {
			this.#closed = true;
			for (const pending of [...this.#waiting]) this.#drop(pending, new SocketClosedError('recv', this.address, this.#errorOptions()));
		}
		if (this.#socket.closed) return Promise.resolve();
		return new Promise((resolve) => {
			this.#socket.once('close', () => resolve());
			this.#socket.destroy();
		});
	}

	/** What an error made now carries: the bytes of the transfer so far, if this socket is retrieve's. */
	#errorOptions(): {partial?: PartialTransfer} {
		return this.#partial ? {partial: this.#partial()} : {};
	}

	/** Starts the first waiting recv's read, or answers it if the stream has ended or failed. */
	#serveWaiting(): void {
		const pending = this.#waiting[0];
		if (!pending || pending.state === 'answering' || this.#closed) return;
		if (this.#failure) {
			pending.state = 'answering';
			this.#settle(pending, this.#failure);
			return;
		}
		if (this.#ended) {
			pending.state = 'answering';
			this.#emptyResults += 1;
			if (this.#emptyResults >= EMPTY_RECVS_BEFORE_ERROR) {
				this.#settle(pending, new RecvAfterEndError(this.address, this.#emptyResults, this.#errorOptions()));
				return;
			}
			// Through the event loop, never as a microtask: a loop that forgot its break must still let
			// SIGINT (Jupyter's stop button) and timers run.
			setImmediate(() => this.#settle(pending, Buffer.alloc(0)));
			return;
		}
		if (pending.state === 'reading' || this.#afterShortRead) return;
		this.#prepareRead(pending.maxBytes);
		pending.state = 'reading';
		this.#socket.resume();
	}

	/**
	 * Makes sure the next read takes at most `size` bytes. Node asks for the next region right after each
	 * read, before anyone has called recv again, so it gets one as large as the last recv asked for; a recv
	 * of another size (or a new destination) hands the OS a new region through the stream handle, which
	 * Node's onread option uses itself but does not expose. Each such change leaves the handle one small
	 * listener object until the socket closes; a loop that keeps its size changes nothing.
	 */
	#prepareRead(size: number): void {
		const region = this.#slabs.regionFor(size);
		if (region === this.#prepared) return;
		this.#prepared = region;
		(this.#socket as unknown as {_handle: UserBufferHandle})._handle.useUserBuffer(region);
	}

	/** One read's bytes, for the recv whose read it was; returns false so that Node stops reading after it. */
	#onRead(bytes: number): boolean {
		if (bytes < this.#prepared.length) {
			// The caller's next recv runs before libuv is done with this read. After a short read libuv
			// takes a hang-up for the end of the stream if reading is on again by then, and a reset would
			// be reported as a clean end; so after a short read the next read starts on the next loop turn.
			this.#afterShortRead = true;
			setImmediate(() => {
				this.#afterShortRead = false;
				this.#serveWaiting();
			});
		}
		const data = this.#slabs.commit(bytes);
		const pending = this.#waiting[0];
		if (pending?.state === 'reading') {
			this.#emptyResults = 0;
			pending.state = 'answering';
			this.#settle(pending, data, false);
		}
		// The next read may start only once Node has stopped this one, which it does when we return false.
		if (this.#waiting.length > 0) process.nextTick(() => this.#serveWaiting());
		return false;
	}

	/** Answers a waiting recv (a buffer resolves it, an error rejects it), then serves the next one. */
	#settle(pending: PendingRecv, outcome: Buffer | Error, serveNext = true): void {
		const index = this.#waiting.indexOf(pending);
		if (index < 0) return;
		if (index === 0) this.#waiting.shift();
		else this.#waiting.splice(index, 1);
		clearTimeout(pending.timer);
		pending.call.settle();
		if (outcome instanceof Error) pending.reject(outcome);
		else pending.resolve(outcome);
		if (serveNext) this.#serveWaiting();
	}

	/** Gives up on a waiting recv (timeout, interrupt, close): its read, if under way, is stopped first. */
	#drop(pending: PendingRecv, error: Error): void {
		if (pending.state === 'reading') this.#socket.pause();
		pending.state = 'answering';
		this.#settle(pending, error);
	}
}

/** Passes reads to the Socket, which exists only once the connection is made. */
interface ReadHandoff {
	readonly slabs: ReadSlabs;
	prepared: Buffer;
	onRead: (bytes: number) => boolean;
	nextRegion: () => Buffer;
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
