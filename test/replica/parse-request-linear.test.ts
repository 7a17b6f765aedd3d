import {describe, expect, test} from 'vitest';
import {parseRequest} from '../../lib/replica/parse-request';
import {LINEAR_GROWTH_LIMIT, SIZE_FACTOR, workPerByteGrowth} from '../helpers/work-growth';

// The replica parses whatever a client sends, so its work must grow in proportion to the head whatever the
// bytes. Each shape below, built to make a backtracking pattern retry, is parsed at a size and at 64 times that
// size, and the CPU time per character must stay about the same (quadratic work takes 64 times as much per
// character): a ratio, not a limit in milliseconds, which a busy machine would break (see work-growth.ts).
// The replica reads at most maxHeadBytes of a head; the parser must not depend on that.

/** Each shape at 512 bytes and 64 times that, where quadratic work shows at once, then at 16 KiB and 1 MiB. */
const SMALLER_SIZES = [512, 16 * 1024];

const SHAPES: ReadonlyArray<{what: string; make: (n: number) => string; status: 200 | 400 | 405}> = [
	{what: 'a long target, then junk after the version', make: (n) => `GET /${'a'.repeat(n)} HTTP/1.0x`, status: 400},
	{what: 'a long target with the version repeated in it', make: (n) => `GET /${'a HTTP/1.0'.repeat(n / 10)}`, status: 400},
	{what: 'many spaces after the method', make: (n) => `GET${' '.repeat(n)}/ HTTP/1.0`, status: 400},
	{what: 'many spaces inside the target', make: (n) => `GET /a${' '.repeat(n)}b HTTP/1.0`, status: 400},
	{what: 'a long method', make: (n) => `${'G'.repeat(n)} / HTTP/1.0`, status: 405},
	{what: 'a long token and no space', make: (n) => 'G'.repeat(n), status: 400},
	{what: 'many CRs and no LF', make: (n) => `GET / HTTP/1.0${'\r'.repeat(n)}`, status: 400},
	{what: 'many CR LFs', make: (n) => `GET / HTTP/1.0${'\r\n'.repeat(n / 2)}`, status: 200},
	{what: 'a long absolute-form host, then a ?', make: (n) => `GET http://${'a'.repeat(n)}? HTTP/1.0`, status: 400},
	{what: 'a long absolute-form path, then a #', make: (n) => `GET http://a/${'b'.repeat(n)}# HTTP/1.0`, status: 400},
	{what: 'many slashes after the host', make: (n) => `GET http://a${'/'.repeat(n)} HTTP/1.0`, status: 200},
	{what: 'many percent signs', make: (n) => `GET /${'%'.repeat(n)} HTTP/1.0`, status: 400},
	{what: 'many percent-encoded bytes', make: (n) => `GET /${'%41'.repeat(n / 3)}?${'q'.repeat(n)} HTTP/1.0`, status: 200},
];

const statusOf = (head: string): number => {
	const parsed = parseRequest(head);
	return parsed.ok ? 200 : parsed.status;
};

describe('parseRequest takes time in proportion to the head', () => {
	test.each(SHAPES)('$what', ({make, status}) => {
		expect(statusOf(make(64))).toBe(status);
		for (const n of SMALLER_SIZES) {
			const growth = workPerByteGrowth(make, n, parseRequest);
			expect(growth, `work per character from ${n} to ${n * SIZE_FACTOR} characters`).toBeLessThan(LINEAR_GROWTH_LIMIT);
		}
	});
});
