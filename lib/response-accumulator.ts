import {splitResponse} from './split-response';

/** Look for Content-Length only in the first this-many bytes; a longer head is gathered the plain way. */
const HEAD_SEARCH_BYTES = 64 * 1024;
/** The largest response buffer sized in advance from a Content-Length the server claims. */
const MAX_PREALLOCATION = 1024 * 1024 * 1024;

/**
 * Gathers a response's bytes in linear time and, when it can, in one buffer with no copy at all: once
 * the header is in and names a Content-Length, it allocates the whole response at once and asks the
 * socket to read into it (`onDestination`), so each later recv returns bytes already in place. A
 * response without Content-Length, or longer than it said, is kept in pieces and joined once at the end.
 */
export class ResponseAccumulator {
	#pieces: Buffer[] = [];
	#count = 0;
	#destination: Buffer | undefined;
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
		if (this.#lookForLength && !this.#destination) this.#preallocate(data);
	}

	/** Everything received, in one buffer. */
	data(): Buffer {
		return this.#destination ? this.#destination.subarray(0, this.#count) : Buffer.concat(this.#pieces, this.#count);
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
		if (total < this.#count || total > Math.min(MAX_PREALLOCATION, this.maxBytes)) return;
		const destination = Buffer.allocUnsafe(total);
		head.copy(destination);
		this.#destination = destination;
		this.#pieces = [];
		this.onDestination(destination);
	}
}
