import {splitResponse} from './split-response';

const BLANK_LINE = Buffer.from('\r\n\r\n', 'latin1');
const HTTP_START = Buffer.from('HTTP/', 'latin1');
/** How many bytes before a recv's may hold the start of a blank line that ends in it. */
const TAIL_BYTES = BLANK_LINE.length - 1;
/** Plan the buffer from Content-Length only for a head that ended within this many bytes; a longer one is gathered the plain way. */
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
 *
 * It also finds where the header block ends (`headerEnd`), searching each byte once and only until it is
 * found, so that `retrieve` can stop a server whose header never ends.
 */
export class ResponseAccumulator {
	#pieces: Buffer[] = [];
	#count = 0;
	#destination: Buffer | undefined;
	/** The whole response's length by its Content-Length, once known and not yet allocated. */
	#expectedTotal = 0;
	/** How many bytes must have arrived before that length is allocated. */
	#allocateAt = 0;
	readonly #expectBody: boolean;
	/** The first bytes received, up to 5: enough to tell whether they begin `HTTP/`. */
	#firstBytes = Buffer.alloc(0);
	#headerEnd: number | undefined;
	/** The last bytes already searched for the blank line (up to TAIL_BYTES), in case it straddles two recvs. */
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
		this.#expectBody = expectBody;
	}

	get count(): number {
		return this.#count;
	}

	/**
	 * Where the first CR LF CR LF starts (the chapter's `Header length`), once it has arrived; undefined until
	 * then, and for bytes that do not begin as an HTTP response (see `startsAsHttp`), which are not searched.
	 */
	get headerEnd(): number | undefined {
		return this.#headerEnd;
	}

	/** Whether the bytes so far begin `HTTP/` as a response does (true while fewer than 5 have come and they fit). */
	get startsAsHttp(): boolean {
		const first = this.#firstBytes;
		return first.equals(HTTP_START.subarray(0, first.length));
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
		const start = this.#count;
		this.#count += data.length;
		if (this.#firstBytes.length < HTTP_START.length) {
			this.#firstBytes = Buffer.concat([this.#firstBytes, data.subarray(0, HTTP_START.length - this.#firstBytes.length)]);
		}
		if (this.#headerEnd === undefined && this.startsAsHttp) this.#findHeaderEnd(data, start);
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

	/**
	 * Looks for the blank line in the bytes that just came (`latest`, received from byte `start` on) and in the
	 * 3 before them, where it may have begun: each byte is searched once, and no recv is copied to do it.
	 */
	#findHeaderEnd(latest: Buffer, start: number): void {
		const tail = this.#searchedTail;
		// A blank line that begins in the tail ends in latest's first 3 bytes, and comes before any in latest.
		const acrossTheCut = Buffer.concat([tail, latest.subarray(0, TAIL_BYTES)]).indexOf(BLANK_LINE);
		const inLatest = acrossTheCut >= 0 ? -1 : latest.indexOf(BLANK_LINE);
		if (acrossTheCut < 0 && inLatest < 0) {
			// A copy of at most 3 bytes: the tail must not keep a recv's buffer alive.
			this.#searchedTail = Buffer.concat([tail, latest.subarray(-TAIL_BYTES)]).subarray(-TAIL_BYTES);
			return;
		}
		this.#headerEnd = acrossTheCut >= 0 ? start - tail.length + acrossTheCut : start + inLatest;
		this.#searchedTail = Buffer.alloc(0);
		if (this.#expectBody && this.#count <= HEAD_SEARCH_BYTES) this.#planBuffer();
	}

	/** Reads the head's Content-Length and plans the response buffer (see #allocate). */
	#planBuffer(): void {
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
