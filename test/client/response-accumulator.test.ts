import {describe, expect, test} from 'vitest';
import {ResponseAccumulator} from '../../lib/client/response-accumulator';

const head = (fields: string): Buffer => Buffer.from(`HTTP/1.0 200 OK\r\n${fields}\r\n\r\n`, 'latin1');

/** Feeds `parts` in order and returns what the accumulator gathered and the destination it asked for. */
function gather(parts: Buffer[], maxBytes?: number, expectBody = true): {data: Buffer; destination: Buffer | undefined} {
	let destination: Buffer | undefined;
	const accumulator = new ResponseAccumulator((buffer) => (destination = buffer), maxBytes, expectBody);
	for (const part of parts) accumulator.add(part);
	return {data: accumulator.data(), destination};
}

describe('ResponseAccumulator', () => {
	test('sizes one buffer from Content-Length and keeps every byte in it', () => {
		const header = head('Content-Length: 10');
		const {data, destination} = gather([header.subarray(0, 5), header.subarray(5), Buffer.from('01234'), Buffer.from('56789')]);
		expect(destination?.length).toBe(header.length + 10);
		expect(data.buffer).toBe(destination?.buffer);
		expect(data.toString('latin1')).toBe(`${header.toString('latin1')}0123456789`);
	});

	test('gathers a response without Content-Length in pieces, joined once', () => {
		const {data, destination} = gather([head('Server: x'), Buffer.from('abc'), Buffer.from('def')]);
		expect(destination).toBeUndefined();
		expect(data.toString('latin1')).toMatch(/abcdef$/);
	});

	test('keeps the bytes past a Content-Length that was too small', () => {
		const {data} = gather([head('Content-Length: 2'), Buffer.from('ab'), Buffer.from('cd')]);
		expect(data.toString('latin1')).toMatch(/\r\n\r\nabcd$/);
	});

	test('keeps a response shorter than its Content-Length, without the unfilled rest', () => {
		const {data} = gather([head('Content-Length: 100'), Buffer.from('ab')]);
		expect(data.toString('latin1')).toMatch(/\r\n\r\nab$/);
	});

	test('allocates nothing big on the word of a Content-Length alone: a gigabyte claimed, a hundred bytes sent', () => {
		const destinations: Buffer[] = [];
		const accumulator = new ResponseAccumulator((buffer) => destinations.push(buffer));
		accumulator.add(head('Content-Length: 1000000000'));
		accumulator.add(Buffer.alloc(100, 7));
		expect(destinations).toEqual([]);
		const data = accumulator.data();
		expect(data.length).toBe(head('Content-Length: 1000000000').length + 100);
		expect(data.buffer.byteLength).toBeLessThan(1024 * 1024);
	});

	test('allocates a big response once a sixteenth of it has arrived, copying only that, losing no byte', () => {
		const destinations: Array<{length: number; atByte: number}> = [];
		const accumulator: ResponseAccumulator = new ResponseAccumulator((buffer) => destinations.push({length: buffer.length, atByte: accumulator.count}));
		const header = head('Content-Length: 100000000');
		accumulator.add(header);
		const piece = Buffer.alloc(1024 * 1024);
		for (let sent = 0; sent < 100_000_000; sent += piece.length) {
			const part = piece.subarray(0, Math.min(piece.length, 100_000_000 - sent));
			part.fill(sent / piece.length);
			accumulator.add(part);
		}
		expect(destinations).toHaveLength(1);
		expect(destinations[0]!.length).toBe(header.length + 100_000_000);
		expect(destinations[0]!.atByte).toBeGreaterThanOrEqual(100_000_000 / 16);
		expect(destinations[0]!.atByte).toBeLessThan(100_000_000 / 16 + header.length + piece.length);
		const data = accumulator.data();
		expect(data.length).toBe(header.length + 100_000_000);
		expect(data[header.length + 5 * 1024 * 1024]).toBe(5);
		expect(data[data.length - 1]).toBe(Math.floor((100_000_000 - 1) / piece.length));
	});

	test('gives a response that stopped far short of its Content-Length a buffer of its own size', () => {
		const accumulator = new ResponseAccumulator(() => {});
		accumulator.add(head('Content-Length: 500000'));
		accumulator.add(Buffer.alloc(100));
		expect(accumulator.data().buffer.byteLength).toBeLessThan(500_000);
	});

	test('finds the blank line even when it arrives one byte per recv', () => {
		const bytes = Buffer.concat([head('Content-Length: 3'), Buffer.from('xyz')]);
		const {data, destination} = gather([...bytes].map((byte) => Buffer.from([byte])));
		expect(destination?.length).toBe(bytes.length);
		expect(data.equals(bytes)).toBe(true);
	});

	test.each([
		{what: 'a malformed head', parts: [Buffer.from('garbage\r\n\r\nbody')]},
		{what: 'a Content-Length over maxBytes', parts: [head('Content-Length: 5000'), Buffer.from('x')], maxBytes: 1000},
		{what: 'a 304, which has no body', parts: [Buffer.from('HTTP/1.1 304 Not Modified\r\nContent-Length: 5000\r\n\r\n')]},
		{what: 'the answer to HEAD', parts: [head('Content-Length: 5000')], expectBody: false},
	])('does not preallocate for $what, and still keeps every byte', ({parts, maxBytes, expectBody}) => {
		const {data, destination} = gather(parts, maxBytes, expectBody);
		expect(destination).toBeUndefined();
		expect(data.equals(Buffer.concat(parts))).toBe(true);
	});
});

describe('ResponseAccumulator finds where the header ends', () => {
	const response = Buffer.concat([head('Content-Length: 12'), Buffer.from('a\r\n\r\nbody\r\n\r\n', 'latin1')]);
	const headerEnd = response.indexOf('\r\n\r\n');

	/** Feeds `response` cut at `cuts` and returns what the accumulator said of its header. */
	function headerOf(cuts: number[], bytes = response): {headerEnd: number | undefined; startsAsHttp: boolean} {
		const accumulator = new ResponseAccumulator(() => {});
		let from = 0;
		for (const cut of [...cuts, bytes.length]) {
			if (cut > from) accumulator.add(bytes.subarray(from, cut));
			from = Math.max(from, cut);
		}
		return {headerEnd: accumulator.headerEnd, startsAsHttp: accumulator.startsAsHttp};
	}

	test('at the first blank line, not one in the body, wherever one or two cuts fall', () => {
		for (let first = 0; first <= response.length; first++) {
			for (const second of [first + 1, first + 2, first + 3, first + 4]) {
				expect(headerOf([first, second]), `cut at ${first} and ${second}`).toEqual({headerEnd, startsAsHttp: true});
			}
		}
	});

	test('when the bytes come one at a time', () => {
		expect(headerOf(Array.from(response.keys()))).toEqual({headerEnd, startsAsHttp: true});
	});

	test('not before it has arrived', () => {
		expect(headerOf([], response.subarray(0, headerEnd + 3))).toEqual({headerEnd: undefined, startsAsHttp: true});
	});

	test('only in bytes that begin HTTP/, which alone have a header block', () => {
		expect(headerOf([2], Buffer.from('HTTX/1.0 200 OK\r\n\r\n', 'latin1'))).toEqual({headerEnd: undefined, startsAsHttp: false});
		expect(headerOf([], Buffer.from('HTT', 'latin1'))).toEqual({headerEnd: undefined, startsAsHttp: true});
	});
});
