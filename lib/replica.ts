import * as net from 'node:net';
import {performance} from 'node:perf_hooks';
import {setTimeout as sleep} from 'node:timers/promises';
import type {ConnectionLog, WaitingBytes} from './connection-log';
import {ListenError} from './errors';
import {kernelQueueTable} from './kernel-queues';
import {type LinkModel, type LinkOption, linkModel} from './link-profiles';
import {parseRequest} from './parse-request';
import {type Resource, resourceTable} from './resources';
import {MAX_TIMER_MS} from './timer-limit';
import {errorResponse, resourceHead} from './response-head';

/** Options for `startReplica`. */
export interface ReplicaOptions {
	/** Address to listen on. Default: `'127.0.0.1'` (loopback only). */
	host?: string;
	/** TCP port; 0 picks a free one. Default: 0. */
	port?: number;
	/** How responses are paced: a profile name or a model (see `realisticLink`). Default: `'book-run-1'`. */
	link?: LinkOption;
	/** The longest request head accepted, in bytes; a longer one gets 431. Default: 8192. */
	maxHeadBytes?: number;
	/** How long a client may take to send its request head, in milliseconds; then 408. Default: 10000. */
	headTimeoutMs?: number;
	/**
	 * How long a client may go without taking any of the response (or, once it has it all, without closing),
	 * in milliseconds; then the connection is dropped. Default: 60000.
	 */
	stallTimeoutMs?: number;
	/** How many finished connection logs to keep (the oldest are dropped). Default: 1000. */
	keepLogs?: number;
	/** Called with a connection's log once the connection has closed. */
	onConnectionClosed?: (log: ConnectionLog) => void;
}

/** A running replica of data.pr4e.org. */
export interface Replica {
	readonly host: string;
	readonly port: number;
	/** e.g. `http://127.0.0.1:8080`. */
	readonly url: string;
	/** The link model pacing its responses. */
	readonly link: LinkModel;
	/** A log per connection, oldest first: the request, each write, the flow-control pauses. */
	readonly connections: readonly ConnectionLog[];
	/** Resolves once no connection is open (every response finished). */
	idle(): Promise<void>;
	/** Stops listening and drops every open connection. Safe to call twice. */
	close(): Promise<void>;
}

/**
 * Starts the offline replica of data.pr4e.org: an HTTP/1.0 server that answers
 * `GET http://data.pr4e.org/cover3.jpg HTTP/1.0` with the chapter's exact header bytes and a 70057-byte
 * JPEG, paced by a link profile so that a reader sees the chapter's recv sizes.
 */
export async function startReplica(options: ReplicaOptions = {}): Promise<Replica> {
	const link = linkModel(options.link ?? 'book-run-1');
	const settings = {
		maxHeadBytes: wholeNumber('maxHeadBytes', options.maxHeadBytes ?? 8192, 1),
		headTimeoutMs: wholeNumber('headTimeoutMs', options.headTimeoutMs ?? 10_000, 1, MAX_TIMER_MS),
		stallTimeoutMs: wholeNumber('stallTimeoutMs', options.stallTimeoutMs ?? 60_000, 1, MAX_TIMER_MS),
	};
	const keepLogs = wholeNumber('keepLogs', options.keepLogs ?? 1000, 0);
	if (options.port !== undefined) wholeNumber('port', options.port, 0, 65535);
	const resources = resourceTable();
	const logs: ConnectionLog[] = [];
	const open = new Set<net.Socket>();
	let idleWaiters: Array<() => void> = [];
	let nextId = 1;

	// allowHalfOpen: a client that shuts down its sending side after the request still gets the response.
	const server = net.createServer({allowHalfOpen: true}, (socket) => {
		const log = newLog(nextId++, socket, link.name);
		logs.push(log);
		const oldestFinished = logs.length > keepLogs ? logs.findIndex((entry) => entry.outcome !== 'in-progress') : -1;
		if (oldestFinished >= 0) logs.splice(oldestFinished, 1);
		open.add(socket);
		socket.on('close', () => {
			open.delete(socket);
			if (log.outcome === 'in-progress') end(log, 'client-closed', 'the client went away before the response was sent');
			options.onConnectionClosed?.(log);
			if (open.size === 0) for (const resolve of idleWaiters.splice(0)) resolve();
		});
		serveConnection(socket, log, link, resources, settings).catch((error: unknown) => {
			end(log, 'server-closed', String(error));
			socket.destroy();
		});
	});
	server.on('error', () => {}); // after listening, errors arrive per connection; never crash the host process

	const host = options.host ?? '127.0.0.1';
	await new Promise<void>((resolve, reject) => {
		server.once('error', (error: NodeJS.ErrnoException) => reject(new ListenError(host, options.port ?? 0, error)));
		// A class starting the lesson at once opens many connections together; a short accept queue resets
		// some (2048 reset 207 and 2472 of 10,000 at once in two of three runs). The kernel caps it at
		// net.core.somaxconn (4096 on this project's machines).
		server.listen({port: options.port ?? 0, host, backlog: 65535}, () => resolve());
	});
	const {port} = server.address() as net.AddressInfo;
	let closing: Promise<void> | undefined;
	return {
		host,
		port,
		url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
		link,
		connections: logs,
		idle: () => (open.size === 0 ? Promise.resolve() : new Promise<void>((resolve) => idleWaiters.push(resolve))),
		close() {
			closing ??= new Promise<void>((resolve) => {
				server.close(() => resolve());
				for (const socket of open) socket.destroy();
			});
			return closing;
		},
	};
}

/** An option that must be a whole number in a range: anything else is a RangeError that names it. */
function wholeNumber(name: string, value: number, minimum: number, maximum = Number.MAX_SAFE_INTEGER): number {
	if (!Number.isSafeInteger(value) || value < minimum || value > maximum) {
		throw new RangeError(`${name} must be a whole number from ${minimum} to ${maximum}, got ${value}`);
	}
	return value;
}

interface Settings {
	maxHeadBytes: number;
	headTimeoutMs: number;
	stallTimeoutMs: number;
}

/** Reads one request head, answers it, closes. Every way out is logged; nothing throws past here. */
async function serveConnection(
	socket: net.Socket,
	log: ConnectionLog,
	link: LinkModel,
	resources: ReadonlyMap<string, Resource>,
	settings: Settings,
): Promise<void> {
	socket.on('error', (error: NodeJS.ErrnoException) => {
		if (log.outcome === 'in-progress') end(log, 'client-closed', error.code ?? error.message);
	});
	const head = await readHead(socket, settings);
	if (head.kind !== 'head') {
		if (head.kind === 'closed') {
			// Ours is the other half of the connection: without this it would wait in CLOSE-WAIT for good.
			socket.destroy();
			return end(log, 'client-closed', 'the client closed before sending a request');
		}
		const status = head.kind === 'too-large' ? 431 : head.kind === 'incomplete' ? 400 : 408;
		log.status = status;
		await writeAll(socket, errorResponse(status, head.detail, link.date), log, settings.stallTimeoutMs);
		return end(log, 'rejected', head.detail);
	}

	const request = parseRequest(head.text);
	log.requestLine = request.requestLine;
	const resource = request.ok ? resources.get(request.path) : undefined;
	if (!request.ok || !resource) {
		log.status = request.ok ? 404 : request.status;
		const detail = request.ok ? `The requested URL ${request.path} was not found on this server.` : request.reason;
		await writeAll(socket, errorResponse(log.status, detail, link.date), log, settings.stallTimeoutMs);
		return end(log, 'rejected', detail);
	}

	log.status = 200;
	const response = responseBytes(resource, link.date, request.method);
	await sendPaced(socket, response, link, log, settings.stallTimeoutMs);
	if (log.outcome === 'in-progress') end(log, 'complete', '');
}

type Head =
	| {kind: 'head'; text: string}
	| {kind: 'too-large'; detail: string}
	| {kind: 'timeout'; detail: string}
	| {kind: 'incomplete'; detail: string}
	| {kind: 'closed'};

/** Collects bytes up to the blank line that ends a request head (CR LF CR LF, or LF LF from a lax client). */
function readHead(socket: net.Socket, settings: Settings): Promise<Head> {
	return new Promise((resolve) => {
		let received = Buffer.alloc(0);
		const finish = (head: Head): void => {
			clearTimeout(timer);
			socket.off('data', onData);
			socket.off('end', onEnd);
			socket.off('close', onEnd);
			socket.pause();
			resolve(head);
		};
		const onData = (chunk: Buffer): void => {
			received = received.length === 0 ? chunk : Buffer.concat([received, chunk]);
			const end = headEnd(received);
			if (end >= 0 && end <= settings.maxHeadBytes) finish({kind: 'head', text: received.toString('latin1', 0, end)});
			else if (received.length > settings.maxHeadBytes) {
				finish({kind: 'too-large', detail: `request head longer than ${settings.maxHeadBytes} bytes`});
			}
		};
		// A client that stops sending part way (a partial head, a TLS hello, junk) still gets an answer.
		const onEnd = (): void =>
			finish(received.length === 0 || socket.destroyed ? {kind: 'closed'} : {kind: 'incomplete', detail: 'the request ended before its blank line'});
		const timer = setTimeout(
			() => finish({kind: 'timeout', detail: `no complete request head within ${settings.headTimeoutMs} ms`}),
			settings.headTimeoutMs,
		);
		socket.on('data', onData);
		socket.once('end', onEnd);
		socket.once('close', onEnd);
	});
}

function headEnd(bytes: Buffer): number {
	const crlf = bytes.indexOf('\r\n\r\n');
	const lf = bytes.indexOf('\n\n');
	if (crlf < 0) return lf;
	return lf < 0 ? crlf : Math.min(crlf, lf);
}

/**
 * Writes `response` in the link's steps, waiting each step's gap after the previous write (so a
 * delayed timer only spreads bursts apart, never together), and waiting for drain when refused.
 */
async function sendPaced(socket: net.Socket, response: Buffer, link: LinkModel, log: ConnectionLog, stallTimeoutMs: number): Promise<void> {
	const started = performance.now();
	const steps = link.steps(response.length);
	// Paced bursts must leave at once, not wait for Nagle's algorithm to gather them.
	if (steps.length > 1) socket.setNoDelay(true);
	if (steps.length === 1 && steps[0]!.gapMs === 0) {
		// One write and the FIN in a single call: what a busy server (fast profile) spends least on.
		const finished = endSocket(socket, log, stallTimeoutMs, response);
		const refused = socket.writableNeedDrain;
		log.bytesSent = response.length;
		await finished;
		const waitedMs = refused ? performance.now() - started : 0;
		if (refused) (log.pauses += 1), (log.pausedMs += waitedMs);
		log.writes.push({atMs: 0, bytes: response.length, refused, waitedMs});
		log.durationMs = performance.now() - started;
		return;
	}
	let offset = 0;
	for (const step of steps) {
		if (step.gapMs > 0) await sleep(step.gapMs);
		if (socket.destroyed || log.outcome !== 'in-progress') return;
		const atMs = performance.now() - started;
		const accepted = socket.write(response.subarray(offset, offset + step.bytes));
		offset += step.bytes;
		log.bytesSent = offset;
		let waitedMs = 0;
		const waiting = accepted ? undefined : waitingBytes(socket);
		if (!accepted) {
			const waitStarted = performance.now();
			const drained = await drainOrGiveUp(socket, stallTimeoutMs);
			waitedMs = performance.now() - waitStarted;
			log.pauses += 1;
			log.pausedMs += waitedMs;
			if (drained === 'stalled') {
				end(log, 'stalled', `the reader took no data for ${stallTimeoutMs} ms`);
				socket.destroy();
				return;
			}
		}
		log.writes.push({atMs, bytes: step.bytes, refused: !accepted, waitedMs, ...(waiting && {waiting})});
		log.durationMs = performance.now() - started;
	}
	await endSocket(socket, log, stallTimeoutMs);
	log.durationMs = performance.now() - started;
}

function drainOrGiveUp(socket: net.Socket, stallTimeoutMs: number): Promise<'drained' | 'stalled' | 'closed'> {
	return new Promise((resolve) => {
		const settle = (how: 'drained' | 'stalled' | 'closed'): void => {
			clearTimeout(timer);
			socket.off('drain', onDrain);
			socket.off('close', onClose);
			resolve(how);
		};
		const onDrain = (): void => settle('drained');
		const onClose = (): void => settle('closed');
		const timer = setTimeout(() => settle('stalled'), stallTimeoutMs);
		socket.once('drain', onDrain);
		socket.once('close', onClose);
	});
}

/** Writes everything, then closes the sending side; resolves once the bytes are handed to the OS. */
function writeAll(socket: net.Socket, bytes: Buffer, log: ConnectionLog, stallTimeoutMs: number): Promise<void> {
	if (!socket.destroyed) log.bytesSent = bytes.length;
	return endSocket(socket, log, stallTimeoutMs, bytes);
}

/**
 * Writes `last` (if any) and closes the sending side; resolves once everything is handed to the OS.
 * A client that stops reading, or never closes its side afterwards, would hold the connection open
 * forever: a watchdog drops it once its unsent bytes have not moved for `stallTimeoutMs`, or once it is
 * still open `stallTimeoutMs` after everything was sent.
 */
function endSocket(socket: net.Socket, log: ConnectionLog, stallTimeoutMs: number, last?: Buffer): Promise<void> {
	return new Promise((resolve) => {
		if (socket.destroyed) return resolve();
		let unsent = -1;
		let since = Date.now();
		const watchdog = setInterval(
			() => {
				if (socket.writableLength !== unsent) {
					unsent = socket.writableLength;
					since = Date.now();
				} else if (Date.now() - since >= stallTimeoutMs) {
					end(log, 'stalled', unsent > 0 ? `the reader took no data for ${stallTimeoutMs} ms` : `the client did not close within ${stallTimeoutMs} ms`);
					socket.destroy();
				}
			},
			Math.min(1000, stallTimeoutMs / 4),
		).unref();
		socket.once('close', () => {
			clearInterval(watchdog);
			resolve();
		});
		if (last) socket.end(last, () => resolve());
		else socket.end(() => resolve());
		// Read on, to see the client's FIN (its side of the close); what it sends is ignored.
		socket.resume();
	});
}

/**
 * Where the bytes not yet read wait, when the reader is on this machine: both ends of a loopback
 * connection are in this kernel's tables, so its receive queue can be read as well as our send queue.
 */
function waitingBytes(socket: net.Socket): WaitingBytes | undefined {
	const {localPort, remotePort, remoteAddress} = socket;
	if (localPort === undefined || remotePort === undefined || !isLoopback(remoteAddress)) return undefined;
	const table = kernelQueueTable();
	const sender = table.get(localPort, remotePort);
	const reader = table.get(remotePort, localPort);
	if (!sender || !reader) return undefined;
	return {readerReceiveBuffer: reader.receiveQueue, senderSendBuffer: sender.sendQueue, senderProcess: socket.writableLength};
}

function isLoopback(address: string | undefined): boolean {
	return address !== undefined && (address.startsWith('127.') || address === '::1' || address.startsWith('::ffff:127.'));
}

const responses = new WeakMap<Resource, Map<string, Buffer>>();

/** Header and body in one buffer, made once per resource, Date and method: a busy replica copies nothing. */
function responseBytes(resource: Resource, date: string, method: 'GET' | 'HEAD'): Buffer {
	let cache = responses.get(resource);
	if (!cache) responses.set(resource, (cache = new Map()));
	const key = `${method} ${date}`;
	let bytes = cache.get(key);
	if (!bytes) {
		const header = resourceHead(resource, date);
		bytes = method === 'HEAD' ? header : Buffer.concat([header, resource.body]);
		cache.set(key, bytes);
	}
	return bytes;
}

function newLog(id: number, socket: net.Socket, link: string): ConnectionLog {
	return {
		id,
		client: `${socket.remoteAddress}:${socket.remotePort}`,
		requestLine: '',
		status: 0,
		link,
		bytesSent: 0,
		writes: [],
		pauses: 0,
		pausedMs: 0,
		durationMs: 0,
		outcome: 'in-progress',
		detail: '',
	};
}

function end(log: ConnectionLog, outcome: ConnectionLog['outcome'], detail: string): void {
	if (log.outcome !== 'in-progress') return;
	log.outcome = outcome;
	log.detail = detail;
}
