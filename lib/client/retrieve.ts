import {performance} from 'node:perf_hooks';
import {setTimeout as sleep} from 'node:timers/promises';
import {EmptyResponseError, HeaderTooLargeError, type PartialTransfer, ResponseTooLargeError} from '../errors';
import {beginCall} from './interrupts';
import {ResponseAccumulator} from './response-accumulator';
import {Socket, type TransferOptions} from './socket';
import {byteCount, bytesToSend, milliseconds} from '../options';

/**
 * The default `maxHeaderBytes`: 64 KiB, between the limits of the usual clients and far above the chapter's
 * header block (244 bytes). Node 20's http gives up past 16 KiB (`http.maxHeaderSize`); curl past 100 KiB
 * for one header (CURL_MAX_HTTP_HEADER) and, since 2023 (curl pull request 11582), 300 KiB for all of a
 * response's headers (MAX_HTTP_RESP_HEADER_SIZE in lib/http.h).
 */
export const DEFAULT_MAX_HEADER_BYTES = 64 * 1024;
/** The blank line that ends a header block: CR LF CR LF. */
const BLANK_LINE_LENGTH = 4;

/** One `recv` that returned bytes, as the chapter prints it: `size count`. */
export interface Chunk {
	/** Bytes this recv returned. */
	readonly size: number;
	/** Bytes received so far, this chunk included (the chapter's `count`). */
	readonly count: number;
	/** When this recv returned, in milliseconds since the request was sent. */
	readonly atMs: number;
}

/** Options for `retrieve`. */
export interface RetrieveOptions {
	/** Host name or address to connect to, e.g. `'127.0.0.1'` or `'data.pr4e.org'`. */
	host: string;
	/** TCP port, e.g. 80. */
	port: number;
	/** The bytes to send, e.g. `'GET http://data.pr4e.org/cover3.jpg HTTP/1.0\r\n\r\n'` (a string is sent as UTF-8). */
	request: string | Uint8Array;
	/** The most bytes one recv may return, in bytes. Default: 5120, as in the chapter. */
	recvSize?: number;
	/** How long to sleep after each recv that returned bytes, in milliseconds. Default: 0 (no sleep). */
	delayMs?: number;
	/** Called after each recv that returned bytes, with its record and the bytes themselves. */
	onChunk?: (chunk: Chunk, data: Buffer) => void;
	/** Time limit for each step (connect, send, each recv), in milliseconds. Default: no limit. */
	timeoutMs?: number;
	/**
	 * The most bytes to accept before giving up with `ResponseTooLargeError`. Default: no limit, so give
	 * one for a server you do not trust (`npm run fetch` uses 64 MiB). Whatever the limit, a Content-Length
	 * over 1 MiB is allocated only once a sixteenth of the body has arrived (see ResponseAccumulator).
	 */
	maxBytes?: number;
	/**
	 * The most bytes an HTTP response's header block may take, in bytes: the status line, the header lines
	 * and the blank line (CR LF CR LF) that ends them. Default: 65536 (64 KiB, DEFAULT_MAX_HEADER_BYTES).
	 * A header block that has not ended by then rejects with `HeaderTooLargeError` at once, so a server that
	 * sends an endless header costs about this many bytes (at most one recv more), not all it can send.
	 * Only bytes that begin `HTTP/` have a header block: anything else is read to the end as the chapter reads it.
	 */
	maxHeaderBytes?: number;
}

/** What `retrieve` received. */
export interface Retrieved {
	/** Every byte the server sent, headers included, in one buffer. */
	readonly data: Buffer;
	/** One record per recv that returned bytes, in order. */
	readonly chunks: Chunk[];
	/**
	 * When the request was handed to the socket (just before `sendall`), the zero of every chunk's `atMs`, in
	 * milliseconds on the clock `performance.timeOrigin + performance.now()`: wall-clock time, precise to well
	 * under a millisecond, so that it can be set against the replica's own times (see wireTimeline).
	 */
	readonly sentAt: number;
}

/**
 * The chapter's program as a function: connect, send the request, then `recv(recvSize)` until the
 * server closes, sleeping `delayMs` after each recv, and return everything received.
 *
 * Unlike the chapter's `picture = picture + data`, which copies everything so far on every recv
 * (quadratic), the bytes are gathered in linear time: straight into one buffer sized from
 * Content-Length when the server sends one (see ResponseAccumulator), else kept and joined once.
 *
 * A failure part way rejects with a `LessonError` whose `partial` holds the bytes that did arrive.
 */
export async function retrieve(options: RetrieveOptions): Promise<Retrieved> {
	// Checked before connecting, so that a bad option never leaves a socket open.
	const recvSize = byteCount('recvSize', options.recvSize ?? 5120);
	const delayMs = milliseconds('delayMs', options.delayMs ?? 0, 'zero');
	const maxBytes = options.maxBytes === undefined ? undefined : byteCount('maxBytes', options.maxBytes);
	const maxHeaderBytes = byteCount('maxHeaderBytes', options.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES);
	const request = bytesToSend('request', options.request);

	// Every error the socket makes from here on is given the bytes gathered so far (the socket's own
	// errors as much as ours), so a failure part way loses none of them.
	let received: ResponseAccumulator | undefined;
	const partial = (): PartialTransfer => ({data: received?.data() ?? Buffer.alloc(0), bytesReceived: received?.count ?? 0});
	const socketOptions: TransferOptions = options.timeoutMs === undefined ? {partial} : {timeoutMs: options.timeoutMs, partial};
	const socket = await Socket.connect(options.host, options.port, socketOptions);
	const isHead = Buffer.from(request.slice(0, 5)).toString('latin1') === 'HEAD ';
	// Each recv still reads exactly what it asks for; only where the bytes land changes.
	const accumulator = new ResponseAccumulator((destination) => socket.receiveInto(destination), maxBytes, !isHead);
	received = accumulator;
	const chunks: Chunk[] = [];
	let sentAt = 0;
	try {
		sentAt = performance.now();
		await socket.sendall(request);
		for (;;) {
			const data = await socket.recv(recvSize);
			if (data.length < 1) break;
			accumulator.add(data);
			const count = accumulator.count;
			if (maxBytes !== undefined && count > maxBytes) throw new ResponseTooLargeError(socket.address, maxBytes, count, {partial: partial()});
			if (headerBlockTooLarge(accumulator, maxHeaderBytes)) {
				throw new HeaderTooLargeError(socket.address, maxHeaderBytes, count, {partial: partial()});
			}
			const chunk: Chunk = {size: data.length, count, atMs: performance.now() - sentAt};
			chunks.push(chunk);
			options.onChunk?.(chunk, data);
			if (delayMs > 0) await interruptibleSleep(delayMs, socket.address, partial);
		}
	} finally {
		await socket.close();
	}
	if (accumulator.count === 0) throw new EmptyResponseError(socket.address);
	return {data: accumulator.data(), chunks, sentAt: performance.timeOrigin + sentAt};
}

/**
 * Whether an HTTP response's header block is known to end past `maxHeaderBytes`: it ended there, or it has
 * not ended in the bytes so far and they already fill the limit. The accumulator found the end as the bytes
 * came, so this costs nothing per recv.
 */
function headerBlockTooLarge(received: ResponseAccumulator, maxHeaderBytes: number): boolean {
	if (!received.startsAsHttp) return false;
	const headerEnd = received.headerEnd;
	return headerEnd === undefined ? received.count >= maxHeaderBytes : headerEnd + BLANK_LINE_LENGTH > maxHeaderBytes;
}

/** The chapter's `time.sleep` between recvs, which an interrupt ends as it ends a recv. */
async function interruptibleSleep(ms: number, address: string, partial: () => PartialTransfer): Promise<void> {
	const abort = new AbortController();
	let interrupted: Error | undefined;
	const call = beginCall(
		'retrieve',
		address,
		(error) => {
			interrupted = error;
			abort.abort();
		},
		partial,
	);
	try {
		await sleep(ms, undefined, {signal: abort.signal});
	} catch (error) {
		throw interrupted ?? error;
	} finally {
		call.settle();
	}
}
