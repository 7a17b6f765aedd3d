import {describe, expect, test} from 'vitest';
import {MalformedResponseError, splitResponse} from '../../lib/index';
import {LINEAR_GROWTH_LIMIT, SIZE_FACTOR, workPerByteGrowth} from '../helpers/work-growth';

// splitResponse reads whatever a server sends, so its work must grow in proportion to the response whatever
// the bytes: `(.*?)[ \t]*$` in the field-line pattern took 9 s on one value of 64 K spaces between two letters,
// as each character `.*?` took scanned the spaces after it again. Each shape below is parsed at a size and at
// 64 times that size, and the CPU time per byte must stay about the same (quadratic work takes 64 times as
// much per byte): a ratio, not a limit in milliseconds, which a busy machine would break (see work-growth.ts).

const STATUS = 'HTTP/1.1 200 OK\r\n';
const END = '\r\n\r\n';
/** Each shape at 512 bytes and 64 times that, where quadratic work shows at once, then at 16 KiB and 1 MiB. */
const SMALLER_SIZES = [512, 16 * 1024];
/**
 * Many short lines make an object or two each, and past a few hundred KiB of them the garbage collector's
 * share of the time grows with how many are alive at once, whatever the parser does: up to 256 KiB for those.
 */
const SMALLER_SIZES_FOR_MANY_LINES = [512, 4 * 1024];

const SHAPES: ReadonlyArray<{what: string; make: (n: number) => string; parses: boolean; manyLines?: true}> = [
	{what: 'spaces between two letters of a value', make: (n) => `${STATUS}X: a${' '.repeat(n)}b${END}`, parses: true},
	{what: 'spaces and tabs between two letters of a value', make: (n) => `${STATUS}X: a${' \t'.repeat(n / 2)}b${END}`, parses: true},
	{what: 'a value of spaces only', make: (n) => `${STATUS}X:${' '.repeat(n)}${END}`, parses: true},
	{what: 'spaces then a bare CR in a value', make: (n) => `${STATUS}X: a${' '.repeat(n)}\r${END}`, parses: false},
	{what: 'spaces inside a Content-Length', make: (n) => `${STATUS}Content-Length: 1${' '.repeat(n)}2${END}`, parses: false},
	{what: 'many colons', make: (n) => `${STATUS}X:${': '.repeat(n / 2)}x${END}`, parses: true},
	{what: 'many CRs without an LF in a value', make: (n) => `${STATUS}X: a${'\r'.repeat(n)}b${END}`, parses: false},
	{what: 'many CRs without an LF and no blank line', make: (n) => `${STATUS}${'\r'.repeat(n)}`, parses: false},
	{what: 'CR LF CR over and over, never a blank line', make: (n) => `${STATUS}${'x\r\n\r'.repeat(n / 4)}`, parses: false},
	{what: 'a long line without a colon', make: (n) => `${STATUS}${'a'.repeat(n)}${END}`, parses: false},
	{what: 'a long reason phrase cut by a bare LF', make: (n) => `HTTP/1.1 200 ${'x'.repeat(n)}\nx${END}`, parses: false},
	{what: 'a folded line of spaces', make: (n) => `${STATUS}X: a\r\n ${' '.repeat(n)}b${END}`, parses: true},
	{what: 'many short lines', make: (n) => `${STATUS}${'X: y\r\n'.repeat(n / 6)}\r\n`, parses: true, manyLines: true},
	{what: 'many folded lines', make: (n) => `${STATUS}X: y${'\r\n z'.repeat(n / 4)}${END}`, parses: true, manyLines: true},
];

function splitOrRefuse(bytes: Buffer): void {
	try {
		splitResponse(bytes);
	} catch (error) {
		if (!(error instanceof MalformedResponseError)) throw error;
	}
}

describe('splitResponse takes time in proportion to the response', () => {
	test.each(SHAPES)('$what', ({make, parses, manyLines}) => {
		const outcome = (): unknown => splitResponse(Buffer.from(make(64), 'latin1'));
		if (parses) expect(outcome).not.toThrow();
		else expect(outcome).toThrow(MalformedResponseError);
		for (const n of manyLines ? SMALLER_SIZES_FOR_MANY_LINES : SMALLER_SIZES) {
			const growth = workPerByteGrowth((size) => Buffer.from(make(size), 'latin1'), n, splitOrRefuse);
			expect(growth, `work per byte from ${n} to ${n * SIZE_FACTOR} bytes`).toBeLessThan(LINEAR_GROWTH_LIMIT);
		}
	});
});
