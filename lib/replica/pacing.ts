/**
 * Writing a response at a link's pace: bursts with gaps, waits for drain when the socket refuses a write (the
 * reader's flow control), and a record of every write, of every wait and of where the unread bytes waited.
 */
import type * as net from 'node:net';
import {performance} from 'node:perf_hooks';
import {setTimeout as sleep} from 'node:timers/promises';
import {socketQueueTable} from '../client/socket-queues';
import {type ConnectionLog, end, type WaitingBytes} from './connection-log';
import type {LinkModel} from './link-profiles';

/**
 * Writes `response` in the link's steps, waiting each step's gap after the previous write (so a
 * delayed timer only spreads bursts apart, never together), and waiting for drain when refused. A step
 * with no gap is written in the same tick as the one before, as a write of its own.
 */
export async function sendPaced(socket: net.Socket, response: Buffer, link: LinkModel, log: ConnectionLog, stallTimeoutMs: number): Promise<void> {
	const started = performance.now();
	log.responseStartedAt = performance.timeOrigin + started;
	const steps = link.steps(response.length);
	// Paced writes must leave at once, each as a segment of its own: with Nagle's algorithm the second of
	// two back-to-back writes would wait for the first one's ACK. Linux's tcp_autocorking, which may add a
	// write to a segment still queued, does not merge them on the loopback: the first has left before the
	// second write begins (TcpExtTCPAutoCorking stayed 0 over 21 downloads; a capture shows two segments).
	if (steps.length > 1) socket.setNoDelay(true);
	if (steps.length === 1 && steps[0]!.gapMs === 0) {
		// One write and the FIN in a single call: what a busy server (fast profile) spends least on.
		const finished = endSocket(socket, log, stallTimeoutMs, response);
		const refused = socket.writableNeedDrain;
		log.bytesSent = response.length;
		await finished;
		const waitedMs = refused ? performance.now() - started : 0;
		if (refused) {
			log.pauses += 1;
			log.pausedMs += waitedMs;
		}
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
				dropStalled(socket);
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
export function writeAll(socket: net.Socket, bytes: Buffer, log: ConnectionLog, stallTimeoutMs: number): Promise<void> {
	if (!socket.destroyed) {
		log.responseStartedAt = performance.timeOrigin + performance.now();
		log.bytesSent = bytes.length;
	}
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
					dropStalled(socket);
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
	const table = socketQueueTable();
	const sender = table.get(localPort, remotePort);
	const reader = table.get(remotePort, localPort);
	if (!sender || !reader) return undefined;
	return {readerReceiveBuffer: reader.receiveQueue, senderSendBuffer: sender.sendQueue, senderProcess: socket.writableLength};
}

function isLoopback(address: string | undefined): boolean {
	return address !== undefined && (address.startsWith('127.') || address === '::1' || address.startsWith('::ffff:127.'));
}

/**
 * Drops a client that stopped reading, with a reset: a plain close keeps the unsent bytes (megabytes of
 * them) in the kernel, as an orphaned connection, for as long as the client lives, so a client that
 * reconnects again and again could pile them up past the connection cap (100 dropped clients held 380 MiB
 * 200 s later; with a reset, 14 MiB at the drop).
 */
function dropStalled(socket: net.Socket): void {
	socket.resetAndDestroy();
}
