import {createHash} from 'node:crypto';
import {describe, expect, test} from 'vitest';
import {ConnectError, EmptyResponseError, HeaderTooLargeError, ResponseTooLargeError, retrieve, splitResponse, TimeoutError} from '../../lib/index';
import {DEFAULT_MAX_HEADER_BYTES} from '../../lib/client/retrieve';
import {CHAPTER_REQUEST, chapterResponse, patternBytes, RUN_1_HEADER, RUN_1_SIZES, RUN_2_HEADER, RUN_2_SIZES, runningCounts} from '../helpers/chapter';
import {startEndlessHeaderServer} from '../helpers/endless-header-server';
import {rejectionOf} from '../helpers/rejection';
import {useReplica} from '../helpers/replica';
import {type Burst, cutIntoBursts, startBurstServer, startTcpServer} from '../helpers/tcp-server';

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

describe("the chapter's two runs", () => {
	test('a reader that keeps up gets the segments as they arrive: 2920, 1460 x 42, 2920, 1460, 1681', async () => {
		const response = chapterResponse(RUN_1_HEADER);
		const server = await startBurstServer(cutIntoBursts(response, RUN_1_SIZES, 15));
		const {data, chunks} = await retrieve({host: server.host, port: server.port, request: CHAPTER_REQUEST});

		expect(server.requests[0]?.toString('latin1')).toBe(CHAPTER_REQUEST);
		expect(chunks.map((chunk) => chunk.size)).toEqual(RUN_1_SIZES);
		expect(chunks.map((chunk) => chunk.count)).toEqual(runningCounts(RUN_1_SIZES));
		expect(chunks.at(-1)?.count).toBe(70301);
		expect(data.equals(response)).toBe(true);
	});

	test('a reader sleeping 250 ms after each recv gets 1460, then 5120 x 13, then 2281', async () => {
		const response = chapterResponse(RUN_2_HEADER);
		// The first segment alone, then the rest in quick segments that pile up while the reader sleeps.
		const rest = response.subarray(1460);
		const bursts: Burst[] = [{bytes: response.subarray(0, 1460)}];
		for (let offset = 0; offset < rest.length; offset += 1460) bursts.push({bytes: rest.subarray(offset, offset + 1460), gapMs: 1});
		const server = await startBurstServer(bursts);
		const {data, chunks} = await retrieve({host: server.host, port: server.port, request: CHAPTER_REQUEST, delayMs: 250});

		expect(chunks.map((chunk) => chunk.size)).toEqual(RUN_2_SIZES);
		expect(chunks.map((chunk) => chunk.count)).toEqual(runningCounts(RUN_2_SIZES));
		expect(data.equals(response)).toBe(true);
		const split = splitResponse(data);
		expect(split.headerLength).toBe(240);
		expect(split.headerText).toBe(RUN_2_HEADER);
	});
});

describe('retrieve', () => {
	test('finds the header end even when it is split across two recvs', async () => {
		const response = chapterResponse(RUN_1_HEADER);
		// Cut in the middle of the CR LF CR LF that ends the header (it starts at byte 240).
		const server = await startBurstServer(cutIntoBursts(response, [242, response.length - 242], 20));
		const {data, chunks} = await retrieve({host: server.host, port: server.port, request: CHAPTER_REQUEST});
		expect(chunks[0]!.size).toBe(242);
		const split = splitResponse(data);
		expect(split.headerLength).toBe(240);
		expect(split.body.length).toBe(70057);
		expect(split.bodyLengthMatches).toBe(true);
	});

	test('calls onChunk with each record and its bytes, in order, times rising', async () => {
		const server = await startBurstServer([{bytes: 'But soft '}, {bytes: 'what light', gapMs: 30}]);
		const seen: string[] = [];
		const {chunks} = await retrieve({
			host: server.host,
			port: server.port,
			request: 'GET /romeo.txt HTTP/1.0\r\n\r\n',
			onChunk: (chunk, data) => seen.push(`${chunk.size} ${chunk.count} ${data.toString()}`),
		});
		expect(seen).toEqual(['9 9 But soft ', '10 19 what light']);
		expect(chunks[0]!.atMs).toBeGreaterThanOrEqual(0);
		expect(chunks[1]!.atMs).toBeGreaterThan(chunks[0]!.atMs);
	});

	test('moves 64 MiB through recv(5120) byte for byte', async () => {
		const body = patternBytes(64 * 1024 * 1024, 7);
		const server = await startBurstServer([{bytes: body}]);
		const {data, chunks} = await retrieve({host: server.host, port: server.port, request: 'GET / HTTP/1.0\r\n\r\n'});
		expect(data.length).toBe(body.length);
		expect(sha256(data)).toBe(sha256(body));
		expect(Math.max(...chunks.map((chunk) => chunk.size))).toBe(5120);
		expect(chunks.length).toBeGreaterThanOrEqual(Math.ceil(body.length / 5120));
		expect(chunks.at(-1)!.count).toBe(body.length);
	});

	test('reads a response with Content-Length straight into one buffer of exactly its size', async () => {
		const body = patternBytes(8 * 1024 * 1024, 3);
		const response = Buffer.concat([Buffer.from(`HTTP/1.0 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`, 'latin1'), body]);
		const server = await startBurstServer(cutIntoBursts(response, [100, response.length - 100], 20));
		const {data} = await retrieve({host: server.host, port: server.port, request: 'GET / HTTP/1.0\r\n\r\n', recvSize: 5120});
		expect(data.length).toBe(response.length);
		expect(data.buffer.byteLength).toBe(response.length);
		expect(sha256(data)).toBe(sha256(response));
	});

	test('reports a body shorter or longer than Content-Length, keeping every byte', async () => {
		for (const bodyLength of [70000, 70100]) {
			const response = chapterResponse(RUN_1_HEADER, patternBytes(bodyLength));
			const server = await startBurstServer([{bytes: response}]);
			const {data} = await retrieve({host: server.host, port: server.port, request: CHAPTER_REQUEST});
			const split = splitResponse(data);
			expect(split.contentLength).toBe(70057);
			expect(split.bodyLengthMatches).toBe(false);
			expect(split.body.equals(patternBytes(bodyLength))).toBe(true);
		}
	});

	test('gives up past maxBytes with ResponseTooLargeError, closes the socket and keeps what came', async () => {
		let serverSawClose: () => void = () => {};
		const closed = new Promise<void>((resolve) => (serverSawClose = resolve));
		const server = await startTcpServer((socket) => {
			socket.on('close', () => serverSawClose());
			socket.once('data', () => {
				socket.write(patternBytes(1000));
				setTimeout(() => socket.write(patternBytes(1000)), 20);
			});
		});
		const error = await rejectionOf(retrieve({host: server.host, port: server.port, request: 'x', maxBytes: 1500}));
		expect(error).toBeInstanceOf(ResponseTooLargeError);
		expect(error).toMatchObject({code: 'PR4E_ERR_RESPONSE_TOO_LARGE', maxBytes: 1500, bytesReceived: 2000});
		expect(error.partial?.bytesReceived).toBe(2000);
		await closed;
	});

	test('rejects with EmptyResponseError when the server closes without a byte', async () => {
		const server = await startTcpServer((socket) => socket.once('data', () => socket.end()));
		const error = await rejectionOf(retrieve({host: server.host, port: server.port, request: 'x'}));
		expect(error).toBeInstanceOf(EmptyResponseError);
		expect(error.message).toContain(`127.0.0.1:${server.port}`);
	});

	test('ends a silent server with TimeoutError after timeoutMs, keeping the bytes that did come', async () => {
		const server = await startBurstServer([{bytes: 'HTTP/1.0 200 OK\r\n'}], 'hold');
		const error = await rejectionOf(retrieve({host: server.host, port: server.port, request: 'x', timeoutMs: 200}));
		expect(error).toBeInstanceOf(TimeoutError);
		expect(error).toMatchObject({code: 'PR4E_ERR_TIMEOUT', operation: 'recv'});
		expect(error.partial?.data.toString()).toBe('HTTP/1.0 200 OK\r\n');
	});

	test('rejects with ConnectError when nothing listens', async () => {
		const server = await startTcpServer(() => {});
		await server.close();
		await expect(retrieve({host: server.host, port: server.port, request: 'x'})).rejects.toThrow(ConnectError);
	});

	test.each([{recvSize: 0}, {recvSize: -5}, {recvSize: 5120.5}, {delayMs: -1}, {delayMs: Number.NaN}, {delayMs: 2 ** 31}, {maxBytes: 0}])('rejects %o with a RangeError before connecting', async (bad) => {
		await expect(retrieve({host: '127.0.0.1', port: 9, request: 'x', ...bad})).rejects.toThrow(RangeError);
	});

	test('rejects a request that is neither a string nor bytes with a TypeError, before it connects', async () => {
		const replica = await useReplica();
		await expect(retrieve({host: replica.host, port: replica.port, request: 42 as never})).rejects.toThrow(TypeError);
		expect(replica.connections).toHaveLength(0);
	});
});

describe('the header block limit (maxHeaderBytes)', () => {
	test.each([
		{what: "the default limit and the chapter's recv(5120)", request: CHAPTER_REQUEST, maxHeaderBytes: undefined, recvSize: 5120},
		{what: 'a limit of 1000 and recv(100)', request: CHAPTER_REQUEST, maxHeaderBytes: 1000, recvSize: 100},
		{what: 'the answer to HEAD, which has a header block too', request: 'HEAD /cover3.jpg HTTP/1.0\r\n\r\n', maxHeaderBytes: 1000, recvSize: 5120},
	])('stops a header that never ends within one recv past the limit, with $what', async ({request, maxHeaderBytes, recvSize}) => {
		const server = await startEndlessHeaderServer();
		const limit = maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
		const options = maxHeaderBytes === undefined ? {} : {maxHeaderBytes};
		const error = await rejectionOf(retrieve({host: server.host, port: server.port, request, recvSize, ...options}));
		expect(error).toBeInstanceOf(HeaderTooLargeError);
		expect(error).toMatchObject({code: 'PR4E_ERR_HEADER_TOO_LARGE', maxHeaderBytes: limit});
		const {bytesReceived} = error as HeaderTooLargeError;
		// It read up to the limit and no further than the recv that crossed it: not the endless rest.
		expect(bytesReceived).toBeGreaterThanOrEqual(limit);
		expect(bytesReceived).toBeLessThan(limit + recvSize);
		expect(error.partial?.bytesReceived).toBe(bytesReceived);
		expect(Buffer.from(error.partial!.data.subarray(0, 17)).toString('latin1')).toBe('HTTP/1.1 200 OK\r\n');
		expect(error.message).toContain(`127.0.0.1:${server.port}`);
		expect(error.message).toContain(`maxHeaderBytes (${limit} bytes)`);
		await server.clientClosed;
	});

	test('the default is 64 KiB', () => {
		expect(DEFAULT_MAX_HEADER_BYTES).toBe(64 * 1024);
	});

	/** A response whose header block (status line to blank line, included) is exactly `blockLength` bytes. */
	function responseWithHeaderBlock(blockLength: number): Buffer {
		const start = 'HTTP/1.0 200 OK\r\nX-Padding: ';
		return Buffer.from(`${start}${'p'.repeat(blockLength - start.length - 4)}\r\n\r\nthe body`, 'latin1');
	}

	test('takes a header block of exactly maxHeaderBytes, and refuses one a byte longer even when it came whole', async () => {
		const fits = await startBurstServer([{bytes: responseWithHeaderBlock(1000)}]);
		const {data} = await retrieve({host: fits.host, port: fits.port, request: CHAPTER_REQUEST, maxHeaderBytes: 1000});
		expect(splitResponse(data).headerLength + 4).toBe(1000);

		const over = await startBurstServer([{bytes: responseWithHeaderBlock(1001)}]);
		const error = await rejectionOf(retrieve({host: over.host, port: over.port, request: CHAPTER_REQUEST, maxHeaderBytes: 1000}));
		expect(error).toBeInstanceOf(HeaderTooLargeError);
		expect(error.partial?.bytesReceived).toBe(1001 + 'the body'.length);
	});

	test('finds the end of a header block cut into pieces of every size around the limit', async () => {
		const response = responseWithHeaderBlock(1000);
		for (const cut of [1, 2, 3, 996, 997, 998, 999, 1000]) {
			const server = await startBurstServer(cutIntoBursts(response, [cut, response.length - cut], 5));
			const {data} = await retrieve({host: server.host, port: server.port, request: CHAPTER_REQUEST, maxHeaderBytes: 1000, recvSize: 700});
			expect(data.equals(response), `cut at ${cut}`).toBe(true);
		}
	});

	test('reads bytes that do not begin HTTP/ to the end, as the chapter does: they have no header block', async () => {
		const sent = patternBytes(10_000);
		const server = await startBurstServer([{bytes: sent}]);
		const {data} = await retrieve({host: server.host, port: server.port, request: 'x', maxHeaderBytes: 100});
		expect(data.equals(sent)).toBe(true);
	});

	test.each([0, -1, 1.5, Number.NaN])('rejects maxHeaderBytes %s with a RangeError before connecting', async (maxHeaderBytes) => {
		await expect(retrieve({host: '127.0.0.1', port: 9, request: 'x', maxHeaderBytes})).rejects.toThrow(RangeError);
	});
});
