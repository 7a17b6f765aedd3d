import type * as net from 'node:net';

/** One write the replica made to a client's socket. */
export interface WriteRecord {
	/** When the write was made, in milliseconds since the response started (`ConnectionLog.responseStartedAt`). */
	readonly atMs: number;
	/** Bytes written. */
	readonly bytes: number;
	/**
	 * Whether the socket refused more (`write()` returned false): the OS send buffer and the reader's
	 * receive buffer were full, so the replica had to wait. This is flow control.
	 */
	readonly refused: boolean;
	/** How long the replica then waited for the socket to drain, in milliseconds (0 if not refused). */
	readonly waitedMs: number;
	/**
	 * For a refused write to a reader on this machine (Linux): where the bytes sent but not yet read were
	 * at that moment. Absent elsewhere.
	 */
	readonly waiting?: WaitingBytes;
}

/** Bytes the replica had sent that the reader had not yet taken, by where they waited, in bytes. */
export interface WaitingBytes {
	/** In the reader's kernel receive buffer: received, acknowledged, not yet taken by recv. */
	readonly readerReceiveBuffer: number;
	/** In the replica's kernel send buffer: handed to the OS, not yet acknowledged by the reader's. */
	readonly senderSendBuffer: number;
	/** Still in the replica's own memory (Node's socket buffer): not yet handed to the OS at all. */
	readonly senderProcess: number;
}

/**
 * How a connection ended. `rejected`: its request was answered with an error (400, 404, 405, 408, 431).
 * `refused`: it arrived while the replica was serving `maxConnections` others, and was answered 503 before
 * its request was read.
 */
export type ConnectionOutcome = 'in-progress' | 'complete' | 'client-closed' | 'stalled' | 'rejected' | 'refused' | 'server-closed';

/** What the replica did on one connection: the request, every write, and how it ended. */
export interface ConnectionLog {
	/** 1 for the first connection, counting up. */
	readonly id: number;
	/** The client's `address:port`. */
	readonly client: string;
	/** The request line, e.g. `GET http://data.pr4e.org/cover3.jpg HTTP/1.0` (empty if none arrived). */
	requestLine: string;
	/** The status answered, e.g. 200 or 404 (0 until one is chosen). */
	status: number;
	/** The link profile that paced the response. */
	readonly link: string;
	/**
	 * When the response's first write began, the zero of every write's `atMs`: in milliseconds on the clock
	 * `performance.timeOrigin + performance.now()`, so comparable with a time taken the same way elsewhere in
	 * this process (as `retrieve` takes its `sentAt`). 0 until the response starts, and for a connection
	 * that ended before it was answered.
	 */
	responseStartedAt: number;
	/** Bytes handed to the socket so far, header included. */
	bytesSent: number;
	readonly writes: WriteRecord[];
	/** How many writes were refused, and the total time spent waiting for drain, in milliseconds. */
	pauses: number;
	pausedMs: number;
	/** From the first byte of the response to the end, in milliseconds. */
	durationMs: number;
	outcome: ConnectionOutcome;
	/** Why it ended the way it did, for outcomes other than `complete`. */
	detail: string;
}

/** A fresh log for connection `id`, in progress. */
export function newLog(id: number, socket: net.Socket, link: string): ConnectionLog {
	return {
		id,
		client: `${socket.remoteAddress}:${socket.remotePort}`,
		requestLine: '',
		status: 0,
		link,
		responseStartedAt: 0,
		bytesSent: 0,
		writes: [],
		pauses: 0,
		pausedMs: 0,
		durationMs: 0,
		outcome: 'in-progress',
		detail: '',
	};
}

/** Ends a log in progress with its outcome; a log already ended keeps its first outcome. */
export function end(log: ConnectionLog, outcome: ConnectionLog['outcome'], detail: string): void {
	if (log.outcome !== 'in-progress') return;
	log.outcome = outcome;
	log.detail = detail;
}
