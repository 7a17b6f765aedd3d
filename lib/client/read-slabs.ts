/**
 * Memory for a socket's reads. The OS writes each read straight into a region of a slab, and the bytes it
 * wrote are handed out as a view of that slab: no allocation per read and no copy, unlike Node's default
 * of a fresh 64 KiB buffer for every read. A region is exactly as long as the recv asked for, so one read
 * takes at most that many bytes from the OS, as Python's recv does. A full slab is never reused (views of
 * it may still be held); the next one is twice as big, up to 1 MiB, so a small response stays small.
 *
 * A destination can be set: a buffer that holds the stream from its first byte (a response buffer sized
 * from Content-Length). Reads then land in it at their own stream position, so its owner gets the whole
 * response without a single copy.
 */
const FIRST_SLAB = 64 * 1024;
const MAX_SLAB = 1024 * 1024;

export class ReadSlabs {
	#slab = Buffer.allocUnsafe(FIRST_SLAB);
	#used = 0;
	/** Bytes committed so far: the stream position of the next read. */
	#position = 0;
	#destination: Buffer | undefined;
	/** The region handed out last, which the next commit is about. */
	#region = this.#slab.subarray(0, 0);
	#regionInSlab = false;
	/** Whether the last region handed out is stale: a destination was set since. */
	#stale = false;

	/** From the next region on, put stream byte `i` at `destination[i]` while a whole read fits. */
	setDestination(destination: Buffer): void {
		this.#destination = destination;
		this.#stale = true;
	}

	/** Where the next read of at most `size` bytes should write: exactly `size` bytes long. */
	region(size: number): Buffer {
		this.#stale = false;
		const destination = this.#destination;
		// A read that might not fit the destination's rest goes to a slab: cutting it short would make recv
		// return less than the OS had, which the lesson's numbers must never show.
		if (destination && this.#position + size <= destination.length) {
			this.#regionInSlab = false;
			this.#region = destination.subarray(this.#position, this.#position + size);
			return this.#region;
		}
		if (this.#slab.length - this.#used < size) {
			// A recv bigger than a slab gets a buffer of its own, which commit copies out of if it is mostly empty.
			this.#slab = Buffer.allocUnsafe(size > MAX_SLAB ? size : Math.min(Math.max(this.#slab.length * 2, size), MAX_SLAB));
			this.#used = 0;
		}
		this.#regionInSlab = true;
		this.#region = this.#slab.subarray(this.#used, this.#used + size);
		return this.#region;
	}

	/** The region for a read of at most `size` bytes: the last one handed out if it still is that, else a new one. */
	regionFor(size: number): Buffer {
		return !this.#stale && this.#region.length === size ? this.#region : this.region(size);
	}

	/** Marks `bytes` bytes of the last region as read and returns them as a view (or, see region, a copy). */
	commit(bytes: number): Buffer {
		const view = this.#region.subarray(0, bytes);
		this.#position += bytes;
		if (!this.#regionInSlab) return view;
		if (this.#slab.length > MAX_SLAB && bytes < this.#slab.length / 2) {
			// A huge recv that got little: copy the little out and keep the big buffer for the next read,
			// instead of pinning megabytes behind every small result.
			return Buffer.from(view);
		}
		this.#used += bytes;
		return view;
	}
}
