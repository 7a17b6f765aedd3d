/** One connection to the replica: its request head read, the request parsed and answered, everything logged. */
import type * as net from 'node:net';
import {type ConnectionLog, end} from './connection-log';
import type {LinkModel} from './link-profiles';
import {sendPaced, writeAll} from './pacing';
import {parseRequest} from './parse-request';
import type {Resource} from './resources';
import {errorResponse, resourceResponse} from './response-head';

export interface Settings {
	maxHeadBytes: number;
	headTimeoutMs: number;
	stallTimeoutMs: number;
}

/**
 * How long a turned-away client gets to take its 503 and close, in milliseconds, before it is dropped. As
 * Apache's lingering close (2 s): reading on until the client's FIN, rather than closing at once on a
 * request we never read, is what keeps the kernel from answering with a reset that can discard the 503.
 */
const REFUSED_LINGER_MS = 2000;

// Apache's own words for its 503 page.
const APACHE_503 = 'The server is temporarily unable to service your request due to maintenance downtime or capacity problems. Please try again later.';

/**
 * Answers 503 at once, without waiting for the request (the answer does not depend on it), and closes.
 * Lingers briefly, never `stallTimeoutMs`: a flood of refused clients must not hold sockets for a minute.
 */
export async function refuseConnection(socket: net.Socket, log: ConnectionLog, date: string, maxConnections: number, settings: Settings): Promise<void> {
	socket.on('error', () => {}); // a refused client that resets harms no one; its log already says refused
	log.status = 503;
	// Ended first, so that the linger below cannot log it as a stalled reader.
	end(log, 'refused', `already serving maxConnections (${maxConnections})`);
	await writeAll(socket, errorResponse(503, APACHE_503, date), log, Math.min(REFUSED_LINGER_MS, settings.stallTimeoutMs));
}

/** Reads one request head, answers it, closes. Every way out is logged; nothing throws past here. */
export async function serveConnection(socket: net.Socket, log: ConnectionLog, link: LinkModel, resources: ReadonlyMap<string, Resource>, settings: Settings): Promise<void> {
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
	const response = resourceResponse(resource, link.date, request.method);
	await sendPaced(socket, response, link, log, settings.stallTimeoutMs);
	if (log.outcome === 'in-progress') end(log, 'complete', '');
}

type Head = {kind: 'head'; text: string} | {kind: 'too-large'; detail: string} | {kind: 'timeout'; detail: string} | {kind: 'incomplete'; detail: string} | {kind: 'closed'};

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
		const onEnd = (): void => finish(received.length === 0 || socket.destroyed ? {kind: 'closed'} : {kind: 'incomplete', detail: 'the request ended before its blank line'});
		const timer = setTimeout(() => finish({kind: 'timeout', detail: `no complete request head within ${settings.headTimeoutMs} ms`}), settings.headTimeoutMs);
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
