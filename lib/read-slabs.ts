/**
 * Memory for a socket's reads. The OS writes each read straight into the free tail of a slab, and the
 * bytes it wrote are handed out as views of that slab: no allocation per read and no copy, unlike Node's
 * default of a fresh 64 KiB buffer for every read. A full slab is never reused (views of it may still be
 * held); the next one is twice as big, up to 1 MiB, so a small response stays small and a big one is read
 * in large gulps (each at most `maxRead` bytes).
 *
 * A destination can be set: a buffer that holds the stream from its first byte (a response buffer sized
 * from Content-Length). Reads then land in it at their own stream position, as large as its rest, so its
 * owner gets the whole response without a single copy.
 */
const FIRST_SLAB = 64 * 1024;
const MAX_SLAB = 1024 * 1024;
/** A tail smaller than this is not worth a read; a new slab is started instead. */
const MIN_READ = 16 * 1024;

export class ReadSlabs {
	#slab: Buffer;
	#used = 0;
	/** Bytes committed so far: the stream position of the next read. */
	#position = 0;
	#destination: Buffer | undefined;
	#region: Buffer | undefined;
	#regionInSlab = false;

	/** @param maxRead the most one read may take, in bytes (the socket's bufferBytes). */
	constructor(readonly maxRead = 256 * 1024) {
		this.#slab = Buffer.allocUnsafe(FIRST_SLAB);
	}

	/** From the next read on, put stream byte `i` at `destination[i]` while it has room. */
	setDestination(destination: Buffer): void {
		this.#destination = destination;
	}

	/** Where the next read should write. */
	region(): Buffer {
		if (this.#destination && this.#position < this.#destination.length) {
			this.#regionInSlab = false;
			// The rest of the destination at once: a bulk download wants as few reads as it can get.
			this.#region = this.#destination.subarray(this.#position);
			return this.#region;
		}
		if (this.#slab.length - this.#used < MIN_READ) {
			this.#slab = Buffer.allocUnsafe(Math.min(this.#slab.length * 2, MAX_SLAB));
			this.#used = 0;
		}
		this.#regionInSlab = true;
		this.#region = this.#slab.subarray(this.#used, this.#used + this.maxRead);
		return this.#region;
	}

	/** Marks `bytes` bytes of the last region as read and returns them as a view. */
	commit(bytes: number): Buffer {
		const view = this.#region!.subarray(0, bytes);
		if (this.#regionInSlab) this.#used += bytes;
		this.#position += bytes;
		return view;
	}
}
