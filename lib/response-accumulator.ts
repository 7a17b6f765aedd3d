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
	#lookForLength = true;

	constructor(
		private readonly onDestination: (destination: Buffer) => void,
		private readonly maxBytes = Number.POSITIVE_INFINITY,
	) {}

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
		if (this.#lookForLength && !this.#destination) this.#preallocate();
	}

	/** Everything received, in one buffer. */
	data(): Buffer {
		return this.#destination ? this.#destination.subarray(0, this.#count) : Buffer.concat(this.#pieces, this.#count);
	}

	#preallocate(): void {
		if (this.#count > HEAD_SEARCH_BYTES) {
			this.#lookForLength = false;
			return;
		}
		const head = Buffer.concat(this.#pieces, this.#count);
		if (head.indexOf('\r\n\r\n') < 0) return;
		this.#lookForLength = false;
		let total: number;
		try {
			const split = splitResponse(head);
			if (split.contentLength === null) return;
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
