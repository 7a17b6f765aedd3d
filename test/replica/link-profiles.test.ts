import {describe, expect, test} from 'vitest';
import {LINK_NAMES, linkModel, realisticLink, RUN_1_DATE, RUN_2_DATE} from '../../lib/index';
import {RUN_1_SIZES} from '../helpers/chapter';

const sum = (values: number[]): number => values.reduce((total, value) => total + value, 0);

describe('link profiles', () => {
	test.each([
		{link: 'book-run-1', total: 70301, sizes: RUN_1_SIZES},
		{link: 'book-run-1', total: 5000, sizes: [2920, 1460, 620]},
		{link: 'book-run-1', total: 244, sizes: [244]},
		{link: 'book-run-2', total: 70301, sizes: [...Array<number>(48).fill(1460), 221]},
		{link: 'book-run-2', total: 244, sizes: [244]},
		{link: 'fast', total: 70301, sizes: [70301]},
		{link: 'fast', total: 2 * 1024 * 1024, sizes: Array<number>(32).fill(65536)},
		{link: 'fast', total: 0, sizes: []},
	] as const)('$link cuts $total bytes into $sizes.length writes', ({link, total, sizes}) => {
		expect(linkModel(link).steps(total).map((step) => step.bytes)).toEqual(sizes);
	});

	test('both book profiles pace one network: steady segments, the same gap, nothing held back for a sleeping reader', () => {
		for (const link of ['book-run-1', 'book-run-2']) {
			const steps = linkModel(link).steps(70301);
			expect(steps[0]?.gapMs).toBe(0);
			expect(new Set(steps.slice(1).map((step) => step.gapMs))).toEqual(new Set([30]));
			// No write bigger than two segments: a burst of many would hand a reader 5120 bytes without any sleep.
			expect(Math.max(...steps.map((step) => step.bytes))).toBeLessThanOrEqual(2 * 1460);
		}
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

	test('an unknown name is a RangeError listing the known ones', () => {
		expect(() => linkModel('dial-up' as never)).toThrow('known: book-run-1, book-run-2, realistic, fast');
	});
});
