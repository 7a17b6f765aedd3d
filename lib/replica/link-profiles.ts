/**
 * How the replica paces a response onto the socket. A loopback connection would otherwise deliver the
 * whole response at once, hiding the chapter's point: a recv returns whatever has arrived so far.
 *
 * The book profiles are exact in every size and a model in their timing. Exact: each write is one
 * 1460-byte segment (or the 221-byte tail), so a capture on the loopback shows 48 x 1460 and 221, and the
 * segments that arrive together are written in one tick, so a reader in the replica's own process (a
 * notebook's, whose kernel runs the replica) reads the chapter's sizes. A model: the 30 ms between
 * arrivals, a pace chosen so that such a reader takes each arrival before the next; the chapter printed no
 * times. Not exact: a reader in another process races the second write of a pair, as the kernel wakes it
 * on the first segment (on a 2-core VM the chapter's Python program read 4 downloads in 20 exactly, a Node
 * one 14 in 20; one write per pair gave 20 in 20, as one 2920-byte segment on the wire).
 */
import {byteCount, milliseconds, positiveNumber} from '../options';
import {seededRandom} from '../seeded-random';

/**
 * One write of a response: wait `gapMs` after the previous write, then write `bytes` bytes. A `gapMs` of 0
 * writes in the same tick as the previous write, right after it, as a separate write.
 */
export interface PacingStep {
	readonly bytes: number;
	readonly gapMs: number;
}

/** A way of pacing responses. Built-in ones are named; `realisticLink` makes a tuned one. */
export interface LinkModel {
	/** A short name for logs, e.g. `book-run-1`. */
	readonly name: string;
	/** The Date header the replica sends on this link (an HTTP-date, always 29 characters). */
	readonly date: string;
	/** The writes for a response of `total` bytes; their sizes add up to `total`. */
	steps(total: number): PacingStep[];
}

export const LINK_NAMES = ['book-run-1', 'book-run-2', 'realistic', 'fast'] as const;
export type LinkName = (typeof LINK_NAMES)[number];
/**
 * A link profile's name or a model. Any string is accepted (checked when used) so that a name read from
 * a notebook parameter or a command line needs no cast; `string & {}` keeps the names' autocompletion.
 */
export type LinkOption = LinkName | LinkModel | (string & {});

/** The Date headers the chapter printed for its two runs. */
export const RUN_1_DATE = 'Sat, 02 Nov 2013 02:15:07 GMT';
export const RUN_2_DATE = 'Sat, 02 Nov 2013 02:22:04 GMT';

/** What the chapter's first run printed for each recv(5120), without the sleep (46 reads). */
export const BOOK_RUN_1_SIZES: readonly number[] = [2920, ...Array<number>(42).fill(1460), 2920, 1460, 1681];
/** The chapter's response: 240 header bytes, the blank line, 70057 body bytes. */
export const BOOK_TOTAL = 70301;
const MSS = 1460;

/**
 * What a reader sleeping after each recv(5120) gets from the book's second network for a response of
 * `total` bytes: the first segment alone, then full reads, then what is left. The one rule for the
 * chapter's second run and for the grader's responses of other sizes.
 */
export function sleepingSizes(total: number): number[] {
	// A response within the first segment is one read (a negative count of full reads would throw).
	if (total <= MSS) return total > 0 ? [total] : [];
	const full = Math.floor((total - MSS) / 5120);
	const rest = total - MSS - full * 5120;
	return [MSS, ...Array<number>(full).fill(5120), ...(rest > 0 ? [rest] : [])];
}

/** What the chapter's second run printed for each recv(5120), sleeping 0.25 s after each (15 reads): 1460, 5120 x 13, 2281. */
export const BOOK_RUN_2_SIZES: readonly number[] = sleepingSizes(BOOK_TOTAL);

/**
 * How far apart both book profiles send their arrivals, in milliseconds: a model of the pace of that day's
 * network (the chapter printed sizes, not times), the same for both runs. A reader that keeps up takes each
 * arrival in well under this, so it sees the arrivals one by one; 12 ms was not enough on a 2-core machine
 * running the test suite (1 download in 20 merged two arrivals), 30 ms held 20 of 20. A reader sleeping
 * 250 ms finds eight or nine segments waiting in its kernel receive buffer (11,680 or 13,140 bytes), more
 * than one recv(5120) takes, at every call.
 */
const SEGMENT_GAP_MS = 30;

/**
 * Run 1 (the chapter ran it without the sleep, and printed 2920, 1460 x 42, 2920, 1460, 1681): 1460-byte
 * segments at a steady pace, where the network delivered the first two together, two together once more
 * near the end, and the last full segment together with the 221-byte tail. Each arrival is cut back into its
 * segments (2920 = 1460 + 1460, 1681 = 1460 + 221), written back to back. Any other length: the first two
 * segments together, then single segments.
 */
const bookRun1: LinkModel = {
	name: 'book-run-1',
	date: RUN_1_DATE,
	steps(total) {
		const arrivals = total === BOOK_TOTAL ? BOOK_RUN_1_SIZES.map((size) => segments(size)) : [segments(2 * MSS), ...segments(total - 2 * MSS).map((size) => [size])];
		return clip(paced(arrivals), total);
	},
};

/**
 * Run 2 (the chapter ran it with the 0.25 s sleep, and printed 1460, 5120 x 13, 2281): the same steady
 * 1460-byte segments, the first one arriving alone. Only a reader that sleeps sees 5120-byte reads here;
 * one that does not gets the segments one by one.
 */
const bookRun2: LinkModel = {
	name: 'book-run-2',
	date: RUN_2_DATE,
	steps(total) {
		return paced(segments(total).map((size) => [size]));
	},
};

/**
 * No pacing: one write for a response up to 1 MiB (one system call, as a busy server wants), and 64 KiB
 * writes for a bigger one, so that its log shows the sender's progress (the flow-control chart).
 */
const fast: LinkModel = {
	name: 'fast',
	date: RUN_1_DATE,
	steps(total) {
		return segments(total, total <= 1024 * 1024 ? total : 65536).map((bytes) => ({bytes, gapMs: 0}));
	},
};

/** Settings of the modelled WAN link. */
export interface RealisticLinkOptions {
	/** Bottleneck bandwidth, in megabits per second. Default: 8. */
	bandwidthMbps?: number;
	/** Round-trip time, in milliseconds. Default: 40. */
	rttMs?: number;
	/** Segment size, in bytes. Default: 1460 (Ethernet's MTU less IP and TCP headers). */
	mss?: number;
	/** Seed for the timing jitter; the same seed gives the same steps. Default: a new one each time. */
	seed?: number;
}

/**
 * A modelled WAN link: TCP slow start (10 segments, doubling each round trip until the link is full),
 * segments spaced by the bandwidth, and jitter from cross traffic, so recv sizes vary from run to run.
 */
export function realisticLink(options: RealisticLinkOptions = {}): LinkModel {
	const bandwidthMbps = positiveNumber('bandwidthMbps', options.bandwidthMbps ?? 8, 'megabits per second');
	const rttMs = milliseconds('rttMs', options.rttMs ?? 40, 'above zero');
	const mss = byteCount('mss', options.mss ?? MSS);
	const seed = options.seed;
	return {
		name: 'realistic',
		date: RUN_1_DATE,
		steps(total) {
			const random = seededRandom(seed ?? Math.floor(Math.random() * 2 ** 32));
			const segmentMs = (mss * 8) / (bandwidthMbps * 1000);
			const fullWindow = Math.max(1, Math.round(rttMs / segmentMs));
			const steps: PacingStep[] = [];
			let window = 10;
			let gapMs = 0;
			const sizes = segments(total, mss);
			for (let sent = 0; sent < sizes.length; ) {
				const flight = sizes.slice(sent, sent + Math.min(window, fullWindow));
				for (const [index, bytes] of flight.entries()) {
					// Delayed ACKs and cross traffic sometimes send two segments back to back.
					const pairs = random() < 0.3;
					const spacing = pairs ? 0 : segmentMs * (0.5 + random());
					steps.push({bytes, gapMs: index === 0 ? gapMs : spacing});
				}
				sent += flight.length;
				// A flight smaller than the window in flight waits for ACKs: the rest of the round trip.
				gapMs = window < fullWindow ? Math.max(0, rttMs - flight.length * segmentMs) * (0.8 + 0.4 * random()) : segmentMs;
				window *= 2;
			}
			return steps;
		},
	};
}

const NAMED: Record<LinkName, () => LinkModel> = {
	'book-run-1': () => bookRun1,
	'book-run-2': () => bookRun2,
	realistic: () => realisticLink(),
	fast: () => fast,
};

/** The link model for a name or a model; an unknown name is a RangeError that lists the known ones. */
export function linkModel(link: LinkOption): LinkModel {
	if (typeof link !== 'string') return link;
	const make = (NAMED as Record<string, (() => LinkModel) | undefined>)[link];
	if (!make) throw new RangeError(`Unknown link profile "${String(link)}"; known: ${LINK_NAMES.join(', ')}`);
	return make();
}

/**
 * One write per segment. Each arrival's first segment waits a segment gap after the arrival before (the
 * first arrival none); the segments that arrive with it follow with no gap, as separate writes: one write
 * of both would leave the loopback (MTU 65536) as one segment, which the network of the day never sent.
 */
function paced(arrivals: number[][]): PacingStep[] {
	return arrivals.flatMap((arrival, index) => arrival.map((bytes, inArrival) => ({bytes, gapMs: index > 0 && inArrival === 0 ? SEGMENT_GAP_MS : 0})));
}

/** `total` bytes cut into `size`-byte pieces, the last one shorter. */
function segments(total: number, size = MSS): number[] {
	const sizes: number[] = [];
	for (let left = total; left > 0; left -= size) sizes.push(Math.min(size, left));
	return sizes;
}

/** The steps cut to add up to `total` bytes exactly, for responses shorter than the plan (HEAD, errors). */
function clip(steps: PacingStep[], total: number): PacingStep[] {
	const clipped: PacingStep[] = [];
	let left = total;
	for (const step of steps) {
		if (left <= 0) break;
		clipped.push({bytes: Math.min(step.bytes, left), gapMs: step.gapMs});
		left -= step.bytes;
	}
	return clipped;
}
