import {describe, expect, test} from 'vitest';
import {type PacingStep, BOOK_RUN_1_SIZES, BOOK_RUN_2_SIZES, LINK_NAMES, linkModel, realisticLink, RUN_1_DATE, RUN_2_DATE} from '../../lib/index';
import {sleepingSizes} from '../../lib/replica/link-profiles';
import {RUN_1_SIZES, RUN_2_SIZES} from '../helpers/chapter';

const sum = (values: number[]): number => values.reduce((total, value) => total + value, 0);
const SEGMENTS = [...Array<number>(48).fill(1460), 221];

/** The bytes of each arrival: a step with no gap arrives together with the step before it. */
function arrivals(steps: readonly PacingStep[]): number[] {
	const sizes: number[] = [];
	for (const [index, step] of steps.entries()) {
		if (index > 0 && step.gapMs === 0) sizes[sizes.length - 1]! += step.bytes;
		else sizes.push(step.bytes);
	}
	return sizes;
}

describe('link profiles', () => {
	test.each([
		{link: 'book-run-1', total: 70301, sizes: SEGMENTS, together: RUN_1_SIZES},
		{link: 'book-run-1', total: 5000, sizes: [1460, 1460, 1460, 620], together: [2920, 1460, 620]},
		{link: 'book-run-1', total: 2000, sizes: [1460, 540], together: [2000]},
		{link: 'book-run-1', total: 244, sizes: [244], together: [244]},
		{link: 'book-run-1', total: 0, sizes: [], together: []},
		{link: 'book-run-2', total: 70301, sizes: SEGMENTS, together: SEGMENTS},
		{link: 'book-run-2', total: 244, sizes: [244], together: [244]},
		{link: 'fast', total: 70301, sizes: [70301], together: [70301]},
		{link: 'fast', total: 2 * 1024 * 1024, sizes: Array<number>(32).fill(65536), together: [2 * 1024 * 1024]},
		{link: 'fast', total: 0, sizes: [], together: []},
	] as const)('$link cuts $total bytes into $sizes.length writes, arriving as $together.length', ({link, total, sizes, together}) => {
		const steps = linkModel(link).steps(total);
		expect(steps.map((step) => step.bytes)).toEqual(sizes);
		expect(arrivals(steps)).toEqual(together);
	});

	test('both book profiles pace one network: steady segments, the same gap, nothing held back for a sleeping reader', () => {
		for (const link of ['book-run-1', 'book-run-2']) {
			const steps = linkModel(link).steps(70301);
			expect(steps[0]?.gapMs).toBe(0);
			// Between arrivals the one gap; within an arrival none (two segments written back to back).
			expect(new Set(steps.slice(1).map((step) => step.gapMs))).toEqual(new Set(link === 'book-run-1' ? [0, 30] : [30]));
			// Every write a segment, so a capture on the loopback (MTU 65536) shows segments, not bursts.
			expect(Math.max(...steps.map((step) => step.bytes))).toBeLessThanOrEqual(1460);
			// No arrival bigger than two segments: a burst of many would hand a reader 5120 bytes without any sleep.
			expect(Math.max(...arrivals(steps))).toBeLessThanOrEqual(2 * 1460);
		}
	});

	test('book-run-1 writes the segments that arrive together back to back, with no gap between them', () => {
		const steps = linkModel('book-run-1').steps(70301);
		const backToBack = steps.flatMap((step, index) => (index > 0 && step.gapMs === 0 ? [index] : []));
		// The second segments of the first 2920, of the later 2920, and of the closing 1681 (1460 + 221).
		expect(backToBack).toEqual([1, 45, 48]);
		expect(steps[48]?.bytes).toBe(221);
	});

	test('carry the Date of the run they replay', () => {
		expect(linkModel('book-run-1').date).toBe(RUN_1_DATE);
		expect(linkModel('book-run-2').date).toBe(RUN_2_DATE);
		for (const name of LINK_NAMES) expect(linkModel(name).date).toHaveLength(29);
	});

	test('realistic: segments of the MSS adding up to the total, the same for a seed, different across seeds', () => {
		const steps = (seed: number) => realisticLink({seed, bandwidthMbps: 4, rttMs: 60}).steps(70301);
		expect(sum(steps(1).map((step) => step.bytes))).toBe(70301);
		expect(Math.max(...steps(1).map((step) => step.bytes))).toBe(1460);
		expect(steps(1)).toEqual(steps(1));
		expect(steps(1)).not.toEqual(steps(2));
		expect(steps(1).every((step) => step.gapMs >= 0)).toBe(true);
	});

	test.each([{bandwidthMbps: 0}, {rttMs: -1}, {mss: Number.NaN}])('realistic rejects %o', (options) => {
		expect(() => realisticLink(options)).toThrow(RangeError);
	});

	test("the library's book sizes are the chapter's printed ones (kept apart in test/helpers as the book printed them)", () => {
		expect(BOOK_RUN_1_SIZES).toEqual(RUN_1_SIZES);
		expect(BOOK_RUN_2_SIZES).toEqual(RUN_2_SIZES);
	});

	test.each([
		[70301, [1460, ...Array<number>(13).fill(5120), 2281]],
		[1460 + 5120, [1460, 5120]],
		[1000, [1000]],
		[0, []],
	])('a sleeping reader of book-run-2 gets, for %i bytes, %o', (total, sizes) => {
		expect(sleepingSizes(total)).toEqual(sizes);
	});

	test('an unknown name is a RangeError listing the known ones', () => {
		expect(() => linkModel('dial-up' as never)).toThrow('known: book-run-1, book-run-2, realistic, fast');
	});
});
