/**
 * Every error the library raises on purpose: one base class, a subclass per way things go wrong.
 * `code` is stable (match on it, not on the message); `cause` keeps the underlying Node error, if any.
 * Argument mistakes (a recv size of 0, say) are plain `RangeError`s/`TypeError`s, as in Node itself
 * (see options.ts).
 */

/**
 * Every code a LessonError can have, one per class (undici's errors.js does the same). They begin with the
 * project's own `PR4E_ERR_`, as undici's begin `UND_ERR_`: Node's own codes begin `ERR_` (its
 * `ERR_SOCKET_CLOSED` is another error than ours), and a `cause` keeps the system's (`ECONNREFUSED`), so a
 * program that matches on `code` never takes one of Node's errors for one of ours.
 */
export type LessonErrorCode =
	| 'PR4E_ERR_CONNECT'
	| 'PR4E_ERR_HOST_NOT_FOUND'
	| 'PR4E_ERR_TIMEOUT'
	| 'PR4E_ERR_SOCKET_CLOSED'
	| 'PR4E_ERR_CONNECTION_LOST'
	| 'PR4E_ERR_EMPTY_RESPONSE'
	| 'PR4E_ERR_RESPONSE_TOO_LARGE'
	| 'PR4E_ERR_HEADER_TOO_LARGE'
	| 'PR4E_ERR_MALFORMED_RESPONSE'
	| 'PR4E_ERR_LISTEN'
	| 'PR4E_ERR_LIVE_UNAVAILABLE'
	| 'PR4E_ERR_INTERRUPTED'
	| 'PR4E_ERR_RECV_AFTER_END';

/** Where a failed exchange got to, so that a failure loses none of the bytes that did arrive. */
export interface PartialTransfer {
	/** Every byte received before the failure, in order. */
	readonly data: Uint8Array;
	/** How many bytes that is. */
	readonly bytesReceived: number;
}

/** What every LessonError may be given besides its message. */
export interface LessonErrorOptions {
	/** The underlying error (Node's, the system's), kept as `cause`. */
	cause?: unknown;
	/** Bytes received before the failure: `retrieve` gives them to every error it rejects with part way. */
	partial?: PartialTransfer | undefined;
}

export class LessonError extends Error {
	/** A stable machine-readable code such as `PR4E_ERR_TIMEOUT`, fixed by the class. */
	readonly code: LessonErrorCode;
	/** Bytes received before the failure, when `retrieve` gave up part way; undefined otherwise. */
	readonly partial: PartialTransfer | undefined;

	constructor(code: LessonErrorCode, message: string, options: LessonErrorOptions = {}) {
		super(message, options.cause === undefined ? undefined : {cause: options.cause});
		this.name = new.target.name;
		this.code = code;
		this.partial = options.partial;
	}
}

/** Where a call was made: `Error.captureStackTrace` fills in `stack`. */
export interface CallSite {
	stack?: string;
}

/**
 * Adds the frames of the call that asked for the work to an error made later in an event handler, whose
 * own stack holds only Node's frames: the learner's traceback then shows the line that made the call.
 */
export function withCallSite<E extends Error>(error: E, callSite: CallSite): E {
	const frames = callSite.stack?.split('\n').slice(1) ?? [];
	if (frames.length > 0 && error.stack !== undefined) error.stack = `${error.stack}\n${frames.join('\n')}`;
	return error;
}

/** The TCP connection could not be made (refused, unreachable, reset during connect). */
export class ConnectError extends LessonError {
	declare readonly code: 'PR4E_ERR_CONNECT';

	constructor(
		readonly host: string,
		readonly port: number,
		reason: string,
		options?: LessonErrorOptions,
	) {
		super('PR4E_ERR_CONNECT', `Could not connect to ${host}:${port}: ${reason}`, options);
	}
}

/** The host name did not resolve to an address (a typo, or no network / DNS available). */
export class HostNotFoundError extends LessonError {
	declare readonly code: 'PR4E_ERR_HOST_NOT_FOUND';

	constructor(
		readonly host: string,
		readonly port: number,
		reason: string,
		options?: LessonErrorOptions,
	) {
		super('PR4E_ERR_HOST_NOT_FOUND', `Could not find host "${host}" (port ${port}): ${reason}`, options);
	}
}

/** An operation took longer than its `timeoutMs`. */
export class TimeoutError extends LessonError {
	declare readonly code: 'PR4E_ERR_TIMEOUT';

	constructor(
		readonly operation: 'connect' | 'sendall' | 'recv',
		readonly address: string,
		readonly timeoutMs: number,
		options?: LessonErrorOptions,
	) {
		super('PR4E_ERR_TIMEOUT', `${operation} to ${address} timed out after ${timeoutMs} ms`, options);
	}
}

/** `sendall` or `recv` on a socket that was closed by `close()`. */
export class SocketClosedError extends LessonError {
	declare readonly code: 'PR4E_ERR_SOCKET_CLOSED';

	constructor(
		readonly operation: 'sendall' | 'recv',
		readonly address: string,
		options?: LessonErrorOptions,
	) {
		super('PR4E_ERR_SOCKET_CLOSED', `Cannot ${operation}: the socket to ${address} is closed`, options);
	}
}

/** The connection broke after it was made (reset by the peer, for example). */
export class ConnectionLostError extends LessonError {
	declare readonly code: 'PR4E_ERR_CONNECTION_LOST';

	constructor(
		readonly address: string,
		reason: string,
		options?: LessonErrorOptions,
	) {
		super('PR4E_ERR_CONNECTION_LOST', `The connection to ${address} was lost: ${reason}`, options);
	}
}

/** The server closed the connection without sending a single byte. */
export class EmptyResponseError extends LessonError {
	declare readonly code: 'PR4E_ERR_EMPTY_RESPONSE';

	constructor(readonly address: string) {
		super('PR4E_ERR_EMPTY_RESPONSE', `${address} closed the connection without sending any bytes`);
	}
}

/** More bytes arrived than the caller's `maxBytes` allows; the connection was closed. */
export class ResponseTooLargeError extends LessonError {
	declare readonly code: 'PR4E_ERR_RESPONSE_TOO_LARGE';

	constructor(
		readonly address: string,
		readonly maxBytes: number,
		readonly bytesReceived: number,
		options?: LessonErrorOptions,
	) {
		super('PR4E_ERR_RESPONSE_TOO_LARGE', `${address} sent more than maxBytes (${maxBytes}): ${bytesReceived} bytes so far; the connection was closed`, options);
	}
}

/**
 * An HTTP response's header block (status line, header lines and the blank line that ends them) did not
 * end within `maxHeaderBytes`; the connection was closed without reading the rest.
 */
export class HeaderTooLargeError extends LessonError {
	declare readonly code: 'PR4E_ERR_HEADER_TOO_LARGE';

	constructor(
		readonly address: string,
		readonly maxHeaderBytes: number,
		readonly bytesReceived: number,
		options?: LessonErrorOptions,
	) {
		super(
			'PR4E_ERR_HEADER_TOO_LARGE',
			`${address} sent a header block larger than maxHeaderBytes (${maxHeaderBytes} bytes): no blank line ` +
				`(CR LF CR LF) within the first ${maxHeaderBytes} bytes of the ${bytesReceived} received; the connection was closed`,
			options,
		);
	}
}

/** The bytes are not an HTTP response the library can split; `offset` says where it went wrong. */
export class MalformedResponseError extends LessonError {
	declare readonly code: 'PR4E_ERR_MALFORMED_RESPONSE';

	constructor(
		message: string,
		readonly offset: number,
	) {
		super('PR4E_ERR_MALFORMED_RESPONSE', message);
	}
}

/** A server could not listen on the address asked for (in use, not permitted, not an address here). */
export class ListenError extends LessonError {
	declare readonly code: 'PR4E_ERR_LISTEN';

	constructor(
		readonly host: string,
		readonly port: number,
		cause: NodeJS.ErrnoException,
	) {
		const reason = cause.code === 'EADDRINUSE' ? 'EADDRINUSE: another program is using that port' : (cause.code ?? cause.message);
		super('PR4E_ERR_LISTEN', `Could not listen on ${host}:${port}: ${reason}`, {cause});
	}
}

/** Live mode could not reach the real data.pr4e.org (no network, say); the message names the way on. */
export class LiveUnavailableError extends LessonError {
	declare readonly code: 'PR4E_ERR_LIVE_UNAVAILABLE';

	constructor(
		readonly host: string,
		readonly port: number,
		cause: unknown,
	) {
		super(
			'PR4E_ERR_LIVE_UNAVAILABLE',
			`Live mode could not reach ${host}:${port} (${(cause as Error).message ?? String(cause)}). ` +
				'Offline, use the built-in replica of data.pr4e.org instead: leave live mode off ' +
				'(LIVE = false in a notebook, no --live for npm run fetch), or run it yourself with npm run serve.',
			{cause},
		);
	}
}

/**
 * The call was stopped by an interrupt: Jupyter's stop button (SIGINT to the kernel), as Python raises
 * KeyboardInterrupt inside a blocking recv. Later calls made by the interrupted cell are refused the same
 * way, so a loop left running in the background stops at its next call; other cells are not affected.
 */
export class InterruptedError extends LessonError {
	declare readonly code: 'PR4E_ERR_INTERRUPTED';

	constructor(
		readonly operation: 'connect' | 'sendall' | 'recv' | 'retrieve',
		readonly address: string,
		readonly when: 'pending' | 'later',
		options?: LessonErrorOptions,
	) {
		super(
			'PR4E_ERR_INTERRUPTED',
			when === 'pending'
				? `${operation} on ${address} was interrupted (the stop button, or Ctrl-C)`
				: `${operation} on ${address} was refused: it was called by a cell that was interrupted (the stop button, or Ctrl-C)`,
			options,
		);
	}
}

/**
 * A loop kept calling recv long after the end of the stream: the classic recv loop without its `break`.
 * Python would return b'' forever; a notebook cell stuck like that looks hung, so the library says why.
 */
export class RecvAfterEndError extends LessonError {
	declare readonly code: 'PR4E_ERR_RECV_AFTER_END';

	constructor(
		readonly address: string,
		readonly emptyResults: number,
		options?: LessonErrorOptions,
	) {
		super(
			'PR4E_ERR_RECV_AFTER_END',
			`recv on ${address} returned an empty buffer ${emptyResults} times in a row: the server closed the ` +
				'connection and every byte was read, so there is nothing more to receive. An empty result means the ' +
				'end: stop the loop there, e.g. `if (data.length < 1) break;`',
			options,
		);
	}
}
