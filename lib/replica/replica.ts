/** The replica's server: listening, accepting, a log per connection, idle and close. */
import * as net from 'node:net';
import {ListenError} from '../errors';
import {type ConnectionLog, end, newLog} from './connection-log';
import {refuseConnection, serveConnection} from './connection';
import {type LinkModel, type LinkOption, linkModel} from './link-profiles';
import {type Resource, resourceTable} from './resources';
import {byteCount, milliseconds, portNumber, wholeNumber} from '../options';

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
	/**
	 * The most connections served at once; one more is answered `503 Service Unavailable` (with
	 * `Retry-After`) and closed, and logged as `refused`. Default: 128.
	 *
	 * Why a cap: a client that asks for `/flow-control.bin` and never reads holds about 3.8 MiB of the
	 * kernel's TCP memory on loopback (our send buffer grown to `net.ipv4.tcp_wmem`'s 4 MiB, and its
	 * receive buffer) until `stallTimeoutMs` drops it. Linux counts that against one limit for the whole
	 * machine (`net.ipv4.tcp_mem`: pressure from 1/16 of its memory), and past it every connection on the
	 * machine waits for retransmissions: with 500 to 800 such clients, a download of cover3.jpg from this
	 * replica or a neighbouring one took 0.2 s to 17 s instead of 7 ms.
	 * Why 128: 128 of them hold at most about 0.5 GiB, under the pressure point of a machine of 8 GiB or
	 * more; and in normal use a replica never gets near it: each notebook starts its own (one download at a
	 * time), and a class of 30 sharing one `npm run serve` makes about 30 at once. A load test of more
	 * clients at once asks for more (`concurrentDownloads(1000)` in the bench asks for 1000).
	 */
	maxConnections?: number;
	/** How many finished connection logs to keep (the oldest are dropped). Default: 1000. */
	keepLogs?: number;
	/** Called with a connection's log once the connection has closed. */
	onConnectionClosed?: (log: ConnectionLog) => void;
	/**
	 * What it serves, by exact path. Default: the chapter's files (`resourceTable()`). The grader's judge
	 * serves files of its own making, so that a submission cannot know their bytes before it reads them.
	 */
	resources?: ReadonlyMap<string, Resource>;
}

/** A running replica of data.pr4e.org. */
export interface Replica {
	readonly host: string;
	readonly port: number;
	/** e.g. `http://127.0.0.1:8080`. */
	readonly url: string;
	/** The link model pacing its responses. */
	readonly link: LinkModel;
	/** How long it waits for a request's head after a connect before it answers 408, in milliseconds. */
	readonly headTimeoutMs: number;
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
		maxHeadBytes: byteCount('maxHeadBytes', options.maxHeadBytes ?? 8192),
		headTimeoutMs: milliseconds('headTimeoutMs', options.headTimeoutMs ?? 10_000, 'above zero'),
		stallTimeoutMs: milliseconds('stallTimeoutMs', options.stallTimeoutMs ?? 60_000, 'above zero'),
	};
	const maxConnections = wholeNumber('maxConnections', options.maxConnections ?? 128, {unit: 'connections', minimum: 1});
	const keepLogs = wholeNumber('keepLogs', options.keepLogs ?? 1000, {unit: 'logs', minimum: 0});
	const port = portNumber('port', options.port ?? 0, 0);
	const resources = options.resources ?? resourceTable();
	const logs: ConnectionLog[] = [];
	// Every socket still open, the refused ones lingering over their 503 too (idle and close wait for them).
	const open = new Set<net.Socket>();
	// Only the ones being served count against the cap: refused ones must not keep it full.
	let served = 0;
	const idleWaiters: Array<() => void> = [];
	let nextId = 1;

	// allowHalfOpen: a client that shuts down its sending side after the request still gets the response.
	const server = net.createServer({allowHalfOpen: true}, (socket) => {
		const log = newLog(nextId++, socket, link.name);
		logs.push(log);
		const oldestFinished = logs.length > keepLogs ? logs.findIndex((entry) => entry.outcome !== 'in-progress') : -1;
		if (oldestFinished >= 0) logs.splice(oldestFinished, 1);
		open.add(socket);
		// Beyond the cap a client is answered 503 at once rather than left waiting in the accept queue: Node
		// cannot stop accepting without closing the listening socket (which would reset every queued client),
		// and a held client would wait without a word until a slot frees, up to stallTimeoutMs (60 s) behind
		// clients that do not read, the very wait the cap is for. A 503 says at once what happened and when to
		// try again; Node's own server.maxConnections would drop the socket without a word.
		const counted = served < maxConnections;
		if (counted) served += 1;
		socket.on('close', () => {
			if (counted) served -= 1;
			open.delete(socket);
			if (log.outcome === 'in-progress') end(log, 'client-closed', 'the client went away before the response was sent');
			options.onConnectionClosed?.(log);
			if (open.size === 0) for (const resolve of idleWaiters.splice(0)) resolve();
		});
		const connection = counted ? serveConnection(socket, log, link, resources, settings) : refuseConnection(socket, log, link.date, maxConnections, settings);
		connection.catch((error: unknown) => {
			end(log, 'server-closed', String(error));
			socket.destroy();
		});
	});
	server.on('error', () => {}); // after listening, errors arrive per connection; never crash the host process

	const host = options.host ?? '127.0.0.1';
	await new Promise<void>((resolve, reject) => {
		server.once('error', (error: NodeJS.ErrnoException) => reject(new ListenError(host, port, error)));
		// A class starting the lesson at once opens many connections together; a short accept queue resets
		// some (2048 reset 207 and 2472 of 10,000 at once in two of three runs). The kernel caps it at
		// net.core.somaxconn (4096 on this project's machines).
		server.listen({port, host, backlog: 65535}, () => resolve());
	});
	const listening = (server.address() as net.AddressInfo).port;
	let closing: Promise<void> | undefined;
	return {
		host,
		port: listening,
		url: `http://${host.includes(':') ? `[${host}]` : host}:${listening}`,
		link,
		headTimeoutMs: settings.headTimeoutMs,
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
