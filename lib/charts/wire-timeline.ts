import type {Chunk} from '../client/retrieve';
import type {WriteRecord} from '../replica/connection-log';

/**
 * The sender's side of one download: the replica's writes and when its response began. A replica's
 * `ConnectionLog` is one; so is anything else with these two fields.
 */
export interface WireSends {
	/**
	 * When the response's first write was made, the zero of every write's `atMs`, in milliseconds on the clock
	 * `performance.timeOrigin + performance.now()`.
	 */
	readonly responseStartedAt: number;
	readonly writes: readonly WriteRecord[];
}

/** The reader's side of one download: what `retrieve` returned (its `Retrieved`, or the same fields). */
export interface WireReads {
	/** When the request was handed to the socket, on the same clock as `WireSends.responseStartedAt`. */
	readonly sentAt: number;
	readonly chunks: readonly Chunk[];
}

/** One write the sender made: a segment of the response. Offsets count from the response's first byte. */
export interface WireSegment {
	/** 0 for the first write, counting up. */
	readonly index: number;
	/** When it was written, in milliseconds since the request was sent. */
	readonly atMs: number;
	/** Bytes written. */
	readonly bytes: number;
	/** Offset of its first byte: the bytes of all earlier writes. */
	readonly start: number;
	/** Offset just past its last byte (`start + bytes`). */
	readonly end: number;
}

/** One recv that returned bytes. */
export interface WireRecv {
	/** 0 for the first recv, counting up. */
	readonly index: number;
	/** When it returned, in milliseconds since the request was sent. */
	readonly atMs: number;
	/** Bytes it returned. */
	readonly bytes: number;
	/** Offset of its first byte (`count - size`). */
	readonly start: number;
	/** Offset just past its last byte (the chapter's `count`). */
	readonly end: number;
}

/** Bytes of one segment that one recv took: a segment split between two recvs has a link to each. */
export interface WireLink {
	/** The segment's `index`. */
	readonly segment: number;
	/** The recv's `index`. */
	readonly recv: number;
	/** Offset of the first byte they share. */
	readonly start: number;
	/** Offset just past the last byte they share. */
	readonly end: number;
	/** Bytes they share (`end - start`), at least 1. */
	readonly bytes: number;
}

/** One download as the wire saw it, every time in milliseconds since the request was sent. */
export interface WireTimeline {
	readonly segments: readonly WireSegment[];
	readonly recvs: readonly WireRecv[];
	/** Ordered by segment, then by recv. */
	readonly links: readonly WireLink[];
}

/**
 * Sets the replica's writes and the reader's recvs of one download on one time line, and links each segment
 * to the recv (or recvs) that took its bytes. Bytes are matched by offset, so a recv that took two segments
 * links to both, and a segment that two recvs shared links to each. Bytes only one side has (a download cut
 * short) are left without a link.
 */
export function wireTimeline(sends: WireSends, reads: WireReads): WireTimeline {
	// Both clocks are wall-clock milliseconds, so the difference of their zeros moves a write onto the reader's.
	const shiftMs = sends.responseStartedAt - reads.sentAt;
	let offset = 0;
	const segments = sends.writes.map((write, index): WireSegment => {
		const start = offset;
		offset += write.bytes;
		return {index, atMs: write.atMs + shiftMs, bytes: write.bytes, start, end: offset};
	});
	const recvs = reads.chunks.map((chunk, index): WireRecv => ({index, atMs: chunk.atMs, bytes: chunk.size, start: chunk.count - chunk.size, end: chunk.count}));
	return {segments, recvs, links: overlaps(segments, recvs)};
}

/** Every segment and recv whose byte ranges share at least one byte, in one pass over both (each in offset order). */
function overlaps(segments: readonly WireSegment[], recvs: readonly WireRecv[]): WireLink[] {
	const links: WireLink[] = [];
	let r = 0;
	for (const segment of segments) {
		while (r < recvs.length && recvs[r]!.end <= segment.start) r += 1;
		for (let next = r; next < recvs.length && recvs[next]!.start < segment.end; next += 1) {
			const recv = recvs[next]!;
			const start = Math.max(segment.start, recv.start);
			const end = Math.min(segment.end, recv.end);
			if (end > start) links.push({segment: segment.index, recv: recv.index, start, end, bytes: end - start});
		}
	}
	return links;
}
