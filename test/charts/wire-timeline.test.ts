import {describe, expect, test} from 'vitest';
import {type Chunk, type ConnectionLog, retrieve, type Retrieved, type WireTimeline, wireTimeline, wireTimelineChart, type WriteRecord} from '../../lib/index';
import {CHAPTER_REQUEST} from '../helpers/chapter';
import {useReplica} from '../helpers/replica';

/** Writes of these sizes at these times (ms since the response started), none refused. */
function writes(...steps: Array<[atMs: number, bytes: number]>): WriteRecord[] {
	return steps.map(([atMs, bytes]) => ({atMs, bytes, refused: false, waitedMs: 0}));
}

/** Recvs that returned these sizes at these times (ms since the request was sent), with the chapter's count. */
function chunks(...reads: Array<[atMs: number, size: number]>): Chunk[] {
	let count = 0;
	return reads.map(([atMs, size]) => {
		count += size;
		return {atMs, size, count};
	});
}

const linksOf = (timeline: WireTimeline): Array<[segment: number, recv: number, bytes: number]> => timeline.links.map((link) => [link.segment, link.recv, link.bytes]);

describe('wireTimeline on hand-made downloads', () => {
	test.each([
		{
			name: 'a recv that took two segments links to both',
			writes: writes([0, 1460], [30, 1460]),
			chunks: chunks([40, 2920]),
			links: [
				[0, 0, 1460],
				[1, 0, 1460],
			],
		},
		{
			name: 'a segment split between two recvs links to each, with the bytes each took',
			writes: writes([0, 1460]),
			chunks: chunks([5, 1000], [6, 460]),
			links: [
				[0, 0, 1000],
				[0, 1, 460],
			],
		},
		{
			name: 'recvs that end mid-segment link by offset, as a sleeping reader takes 1460, 5120, then the rest',
			writes: writes([0, 1460], [30, 1460], [60, 1460], [90, 1460], [120, 1460], [150, 1681]),
			chunks: chunks([5, 1460], [250, 5120], [500, 2401]),
			links: [
				[0, 0, 1460],
				[1, 1, 1460],
				[2, 1, 1460],
				[3, 1, 1460],
				[4, 1, 740],
				[4, 2, 720],
				[5, 2, 1681],
			],
		},
		{
			name: 'bytes only the sender has (a download cut short) get no link',
			writes: writes([0, 1460], [30, 1460]),
			chunks: chunks([5, 1460]),
			links: [[0, 0, 1460]],
		},
	])('$name', ({writes, chunks, links}) => {
		const timeline = wireTimeline({responseStartedAt: 1000, writes}, {sentAt: 1000, chunks});
		expect(linksOf(timeline)).toEqual(links);
	});

	test('gives each segment and recv its byte offsets: [earlier writes, + bytes) and [count - size, count)', () => {
		const timeline = wireTimeline({responseStartedAt: 0, writes: writes([0, 240], [1, 1460])}, {sentAt: 0, chunks: chunks([2, 1000], [3, 700])});
		expect(timeline.segments.map((segment) => [segment.start, segment.end])).toEqual([
			[0, 240],
			[240, 1700],
		]);
		expect(timeline.recvs.map((recv) => [recv.start, recv.end])).toEqual([
			[0, 1000],
			[1000, 1700],
		]);
	});

	test("puts the sender's writes on the reader's clock: times are since the request was sent", () => {
		// The request went out at 5000.25 on the shared clock; the response began 3.5 ms later.
		const timeline = wireTimeline({responseStartedAt: 5003.75, writes: writes([0, 1460], [30, 1460])}, {sentAt: 5000.25, chunks: chunks([40, 2920])});
		expect(timeline.segments.map((segment) => segment.atMs)).toEqual([3.5, 33.5]);
		expect(timeline.recvs.map((recv) => recv.atMs)).toEqual([40]);
	});
});

/** Every byte each side has accounted for by links, and no recv returning before the segment it took was written. */
function expectConsistent(timeline: WireTimeline, total: number): void {
	const linkedBytes = (key: 'segment' | 'recv', index: number): number => timeline.links.filter((link) => link[key] === index).reduce((sum, link) => sum + link.bytes, 0);
	expect(timeline.segments.reduce((sum, segment) => sum + segment.bytes, 0)).toBe(total);
	expect(timeline.recvs.at(-1)?.end).toBe(total);
	for (const segment of timeline.segments) expect(linkedBytes('segment', segment.index), `segment ${segment.index}`).toBe(segment.bytes);
	for (const recv of timeline.recvs) expect(linkedBytes('recv', recv.index), `recv ${recv.index}`).toBe(recv.bytes);

	const times = (items: ReadonlyArray<{atMs: number}>): number[] => items.map((item) => item.atMs);
	expect(Math.min(...times(timeline.segments), ...times(timeline.recvs))).toBeGreaterThanOrEqual(0);
	expect(times(timeline.segments)).toEqual([...times(timeline.segments)].sort((a, b) => a - b));
	expect(times(timeline.recvs)).toEqual([...times(timeline.recvs)].sort((a, b) => a - b));
	for (const link of timeline.links) {
		expect(timeline.recvs[link.recv]!.atMs, `recv ${link.recv} took segment ${link.segment}`).toBeGreaterThanOrEqual(timeline.segments[link.segment]!.atMs);
	}
}

describe('wireTimeline and wireTimelineChart on real downloads from the replica', () => {
	test('link every byte the replica wrote to the recv that took it, in time order, and draw both runs', async () => {
		const replica = await useReplica({link: 'book-run-2'});
		const runs: Array<{label: string; log: ConnectionLog; retrieved: Retrieved}> = [];
		for (const [label, delayMs] of [
			['without sleep', 0],
			['sleeping 250 ms after each recv', 250],
		] as const) {
			const retrieved = await retrieve({host: replica.host, port: replica.port, request: CHAPTER_REQUEST, recvSize: 5120, delayMs});
			await replica.idle();
			runs.push({label, log: replica.connections.at(-1)!, retrieved});
		}

		const timelines = runs.map((run) => wireTimeline(run.log, run.retrieved));
		for (const [index, timeline] of timelines.entries()) expectConsistent(timeline, runs[index]!.retrieved.data.length);
		// The sleeping reader's recvs each gathered several segments; the other's took them one by one.
		expect(timelines[1]!.recvs.length).toBeLessThan(timelines[0]!.recvs.length);
		expect(Math.max(...timelines[1]!.recvs.map((recv) => recv.bytes))).toBe(5120);

		const svg = await wireTimelineChart(runs);
		expect(svg).toContain('<svg');
		for (const text of ['replica sends (segments)', 'your recv calls', 'without sleep', 'sleeping 250 ms after each recv']) expect(svg).toContain(text);
	});
});
