import {splitResponse} from './split-response';

/** Look for Content-Length only in the first this-many bytes; a longer head is gathered the plain way. */
const HEAD_SEARCH_BYTES = 64 * 1024;
/**
 * A server's Content-Length is believed in proportion to the bytes that back it: a response up to this
 * size gets its whole buffer at once; a bigger one only once a sixteenth of its body has actually arrived
 * (until then its bytes are kept in pieces, copied over then). A server that claims a gigabyte and sends a
 * hundred bytes costs no gigabyte, and a real download copies a sixteenth of itself once.
 */
const ALLOCATE_AT_ONCE_BYTES = 1024 * 1024;
const EVIDENCE_SHARE = 16;

/**
 * Gathers a response's bytes in linear time and, when it can, in one buffer with no copy at all: once
 * the header is in and names a Content-Length, it allocates the whole response (a big one once part of
 * it has come, see EVIDENCE_SHARE) and asks the socket to read into it (`onDestination`), so each later
 * recv returns bytes already in place. A response without Content-Length, or longer than it said, is kept
 * in pieces and joined once at the end.
 */
export class ResponseAccumulator {
	#pieces: Buffer[] = [];
	#count = 0;
	#destination: Buffer | undefined;
	/** The whole response's length by its Content-Length, once known and not yet allocated. */
	#expectedTotal = 0;
	/** How many bytes must have arrived before that length is allocated. */
	#allocateAt = 0;
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
		if (this.#lookForLength && !this.#destination) this.#readContentLength(data);
		if (this.#expectedTotal > 0 && this.#count >= this.#allocateAt) this.#allocate();
	}

	/** Everything received, in one buffer. */
	data(): Buffer {
		const destination = this.#destination;
		if (!destination) return Buffer.concat(this.#pieces, this.#count);
		const data = destination.subarray(0, this.#count);
		// A response that stopped far short of its Content-Length must not keep the big buffer alive.
		return this.#count < destination.length / 2 ? Buffer.from(data) : data;
	}

	/** Finds the head's Content-Length and plans the response buffer (see #allocate). */
	#readContentLength(latest: Buffer): void {
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
		this.#allocateAt = total <= ALLOCATE_AT_ONCE_BYTES ? 0 : this.#count + Math.ceil((total - this.#count) / EVIDENCE_SHARE);
	}

	/** The one buffer for the whole response, once its Content-Length is believed (see EVIDENCE_SHARE). */
	#allocate(): void {
		const total = this.#expectedTotal;
		this.#expectedTotal = 0;
		if (this.#count > total) return; // longer than it said: it stays in pieces
		const destination = Buffer.allocUnsafe(total);
		let offset = 0;
		for (const piece of this.#pieces) offset += piece.copy(destination, offset);
		this.#destination = destination;
		this.#pieces = [];
		this.onDestination(destination);
	}
}
