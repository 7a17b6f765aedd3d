import {splitResponse} from './split-response';

/** Look for Content-Length only in the first this-many bytes; a longer head is gathered the plain way. */
const HEAD_SEARCH_BYTES = 64 * 1024;
/**
 * The most allocated in advance on the word of a server's Content-Length, in bytes. A longer response
 * grows its buffer as its bytes actually arrive (fourfold each time, up to what Content-Length said), so a
 * server that claims a gigabyte and sends a hundred bytes costs no gigabyte.
 */
const PREALLOCATE_AT_MOST = 64 * 1024 * 1024;
const GROWTH = 4;

/**
 * Gathers a response's bytes in linear time and, when it can, in one buffer with no copy at all: once
 * the header is in and names a Content-Length, it allocates the whole response (up to 64 MiB in advance,
 * growing as the bytes come) and asks the socket to read into it (`onDestination`, called again when it
 * grows), so each later recv returns bytes already in place. A response without Content-Length, or longer
 * than it said, is kept in pieces and joined once at the end.
 */
export class ResponseAccumulator {
	#pieces: Buffer[] = [];
	#count = 0;
	#destination: Buffer | undefined;
	/** The whole response's length by its Content-Length, once known; the destination grows up to it. */
	#expectedTotal = 0;
	#lookForLength: boolean;
	/** The last bytes already searched for the blank line, in case it straddles two recvs. */
	#searchedTail = Buffer.alloc(0);

	/**
	 * @param onDestination called with the one buffer sized from Content-Length, once there is one
	 * @param maxBytes never allocate more than this in advance
	 * @param expectBody false for the answer to a HEAD request, whose Content-Length has no body behind it
	 */
	constructor(
		private readonly onDestination: (destination: Buffer) => void,
		private readonly maxBytes = Number.POSITIVE_INFINITY,
		expectBody = true,
	) {
		this.#lookForLength = expectBody;
	}

	get count(): number {
		return this.#count;
	}

	add(data: Buffer): void {
		if (this.#destination && this.#count + data.length > this.#destination.length) this.#grow(this.#count + data.length);
		const destination = this.#destination;
		if (destination && this.#count + data.length <= destination.length) {
			const inPlace = data.buffer === destination.buffer && data.byteOffset === destination.byteOffset + this.#count;
			if (!inPlace) data.copy(destination, this.#count);
		} else {
			if (destination) {
				// Longer than Content-Length said: keep what fits and go on in pieces.
				this.#pieces = [destination.subarray(0, this.#count)];
				this.#destination = undefined;
			}
			this.#pieces.push(data);
		}
		this.#count += data.length;
		if (this.#lookForLength && !this.#destination) this.#preallocate(data);
	}

	/** Everything received, in one buffer. */
	data(): Buffer {
		const destination = this.#destination;
		if (!destination) return Buffer.concat(this.#pieces, this.#count);
		const data = destination.subarray(0, this.#count);
		// A response that stopped far short of its Content-Length must not keep the big buffer alive.
		return this.#count < destination.length / 2 ? Buffer.from(data) : data;
	}

	/** A bigger destination for a response that is longer than what was allocated in advance. */
	#grow(needed: number): void {
		const destination = this.#destination!;
		if (destination.length >= this.#expectedTotal) return; // past Content-Length: add() goes on in pieces
		const grown = Buffer.allocUnsafe(Math.min(this.#expectedTotal, Math.max(destination.length * GROWTH, needed)));
		destination.copy(grown, 0, 0, this.#count);
		this.#destination = grown;
		this.onDestination(grown);
	}

	#preallocate(latest: Buffer): void {
		if (this.#count > HEAD_SEARCH_BYTES) {
			this.#lookForLength = false;
			return;
		}
		// Search only the new bytes (and the 3 before them), so that tiny recvs cost no repeated copying.
		const window = Buffer.concat([this.#searchedTail, latest]);
		this.#searchedTail = window.subarray(Math.max(0, window.length - 3));
		if (window.indexOf('\r\n\r\n') < 0) return;
		this.#lookForLength = false;
		const head = Buffer.concat(this.#pieces, this.#count);
		let total: number;
		try {
			const split = splitResponse(head);
			const {statusCode} = split.status;
			// These statuses never have a body, whatever Content-Length says (RFC 9110 section 6.4.1).
			if (split.contentLength === null || statusCode < 200 || statusCode === 204 || statusCode === 304) return;
			total = split.headerLength + 4 + split.contentLength;
		} catch {
			return; // A malformed head is the caller's to judge; we only gather the bytes.
		}
		if (total < this.#count || total > this.maxBytes) return;
		this.#expectedTotal = total;
		const destination = Buffer.allocUnsafe(Math.min(total, Math.max(PREALLOCATE_AT_MOST, this.#count)));
		head.copy(destination);
		this.#destination = destination;
		this.#pieces = [];
		this.onDestination(destination);
	}
}
