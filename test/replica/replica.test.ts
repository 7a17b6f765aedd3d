import {execFile, spawnSync} from 'node:child_process';
import {readFileSync} from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import {promisify} from 'node:util';
import {describe, expect, onTestFinished, test} from 'vitest';
import {ListenError, retrieve, splitResponse, startReplica} from '../../lib/index';
import {CHAPTER_REQUEST, RUN_1_HEADER, RUN_1_SIZES, RUN_2_HEADER, RUN_2_SIZES, runningCounts, SLEEPING_RUN_1_SIZES} from '../helpers/chapter';
import {rejectionOf} from '../helpers/rejection';
import {halfClosedExchange, rawExchange, useReplica} from '../helpers/replica';
import {within} from '../helpers/within';
import {waitUntil} from '../../scripts/support/wait-until.js';

const execFileAsync = promisify(execFile);

const COVER = readFileSync(path.join(__dirname, '..', '..', 'lib', 'replica', 'data', 'cover3.jpg'));
const ROMEO = readFileSync(path.join(__dirname, '..', '..', 'lib', 'replica', 'data', 'romeo.txt'));

describe('the replica answers the chapter request', () => {
	test('with the exact header bytes of run 1, the blank line at 240, and the 70057-byte JPEG', async () => {
		const replica = await useReplica({link: 'fast'});
		const response = await rawExchange(replica.port, CHAPTER_REQUEST);
		expect(response.length).toBe(70301);
		expect(response.subarray(0, 244).toString('latin1')).toBe(`${RUN_1_HEADER}\r\n\r\n`);
		const split = splitResponse(response);
		expect(split.headerLength).toBe(240);
		expect(split.body.equals(COVER)).toBe(true);
		expect(split.bodyLengthMatches).toBe(true);
	});

	test('with the Date of run 2 on the book-run-2 link', async () => {
		const replica = await useReplica({link: 'book-run-2'});
		const response = await rawExchange(replica.port, CHAPTER_REQUEST);
		expect(splitResponse(response).headerText).toBe(RUN_2_HEADER);
	});

	test.each([
		'GET /cover3.jpg HTTP/1.0\r\n\r\n',
		'GET /cover3.jpg HTTP/1.1\r\nHost: data.pr4e.org\r\nUser-Agent: test\r\n\r\n',
		'GET HTTP://DATA.PR4E.ORG/cover3.jpg?size=big HTTP/1.0\r\n\r\n',
		'GET /cover3%2Ejpg HTTP/1.0\n\n',
	])('the same way for %j', async (request) => {
		const replica = await useReplica({link: 'fast'});
		const response = await rawExchange(replica.port, request);
		expect(splitResponse(response).headerText).toBe(RUN_1_HEADER);
		expect(splitResponse(response).body.equals(COVER)).toBe(true);
	});

	test('with the headers alone for HEAD', async () => {
		const replica = await useReplica({link: 'book-run-1'});
		const response = await rawExchange(replica.port, 'HEAD /cover3.jpg HTTP/1.0\r\n\r\n');
		expect(response.toString('latin1')).toBe(`${RUN_1_HEADER}\r\n\r\n`);
	});

	test('and serves romeo.txt, 167 bytes of text, with Apache-like headers', async () => {
		const replica = await useReplica();
		const split = splitResponse(await rawExchange(replica.port, 'GET http://data.pr4e.org/romeo.txt HTTP/1.0\r\n\r\n'));
		expect(split.status.statusCode).toBe(200);
		expect(split.headers.get('content-type')).toBe('text/plain');
		expect(split.contentLength).toBe(167);
		expect(split.body.equals(ROMEO)).toBe(true);
		expect(split.body.toString()).toMatch(/^But soft what light through yonder window breaks\n/);
	});

	test('while a client that shuts down its sending side after the request still gets it all', async () => {
		const replica = await useReplica({link: 'fast'});
		const response = await halfClosedExchange(replica.port, CHAPTER_REQUEST);
		expect(response.length).toBe(70301);
	});
});

describe('the book link profiles', () => {
	test('give 20 of 20 readers that keep up the first run: 2920, 1460 x 42, 2920, 1460, 1681', async () => {
		const replica = await useReplica({link: 'book-run-1'});
		const runs = await Promise.all(Array.from({length: 20}, () => retrieve({host: replica.host, port: replica.port, request: CHAPTER_REQUEST})));
		for (const {chunks, data} of runs) {
			expect(chunks.map((chunk) => chunk.size)).toEqual(RUN_1_SIZES);
			expect(chunks.map((chunk) => chunk.count)).toEqual(runningCounts(RUN_1_SIZES));
			expect(splitResponse(data).body.equals(COVER)).toBe(true);
		}
	});

	test('give 20 of 20 readers that sleep 250 ms after each recv the second run: 1460, 5120 x 13, 2281', async () => {
		const replica = await useReplica({link: 'book-run-2'});
		const runs = await Promise.all(Array.from({length: 20}, () => retrieve({host: replica.host, port: replica.port, request: CHAPTER_REQUEST, delayMs: 250})));
		for (const {chunks} of runs) expect(chunks.map((chunk) => chunk.size)).toEqual(RUN_2_SIZES);
	});

	// The other two of the four cases: the sleep alone, not the profile, makes the 5120-byte reads.
	test('give readers that do not sleep segment-sized reads on book-run-2 too: 1460 x 48, 221', async () => {
		const replica = await useReplica({link: 'book-run-2'});
		const runs = await Promise.all(Array.from({length: 5}, () => retrieve({host: replica.host, port: replica.port, request: CHAPTER_REQUEST})));
		for (const {chunks} of runs) expectSegmentSized(chunks.map((chunk) => chunk.size));
	});

	test('give readers that sleep 250 ms full 5120-byte reads on book-run-1 too: 2920, 5120 x 13, 821', async () => {
		const replica = await useReplica({link: 'book-run-1'});
		const runs = await Promise.all(Array.from({length: 5}, () => retrieve({host: replica.host, port: replica.port, request: CHAPTER_REQUEST, delayMs: 250})));
		for (const {chunks} of runs) expect(chunks.map((chunk) => chunk.size)).toEqual(SLEEPING_RUN_1_SIZES);
	});

	const python = ['python3', '/usr/bin/python3'].find((command) => spawnSync(command, ['--version']).status === 0);
	// In another process, the Python reader can wake between the two segments of a pair the replica writes
	// back to back (its first write returns after the kernel has woken the reader), and read them apart:
	// 1460, 1460 where the book printed 2920 (and, sleeping, 1460 first, then 5120 x 13 and 2281). That is what recv does on any network; the notebooks' reader
	// runs in the replica's process, where both writes are made before it reads, and gets the book's sizes.
	test.skipIf(!python)("give the chapter's own Python program the same sizes in all four cases, the first run's pairs read together or apart", async () => {
		for (const [link, sleepSeconds, sizes] of [
			['book-run-1', 0, 'pairs'],
			['book-run-1', 0.25, 'first pair'],
			['book-run-2', 0, undefined],
			['book-run-2', 0.25, RUN_2_SIZES],
		] as const) {
			const replica = await useReplica({link});
			const output = await runPython(python!, CHAPTER_PROGRAM, [String(replica.port), String(sleepSeconds)]);
			const lines = output.trim().split('\n');
			const printed = lines.slice(0, -1).map((line) => Number(line.split(' ')[0]));
			if (sizes === 'pairs') expectArrivals(printed, RUN_1_SIZES);
			// Sleeping, only the first read can come between a pair's two writes; every later one finds a pile.
			else if (sizes === 'first pair') expect(printed).toEqual(printed[0] === 1460 ? SLEEPING_RUN_1_PAIR_APART : SLEEPING_RUN_1_SIZES);
			else if (sizes) expect(printed).toEqual(sizes);
			else expectSegmentSized(printed);
			expect(printed.reduce((sum, size) => sum + size, 0)).toBe(70301);
			expect(lines.at(-1)).toBe('Header length 240');
		}
	});
});

/**
 * What a reader that keeps up sees on book-run-2: the 1460-byte segments one by one, the 221-byte tail last.
 * Allowed: two segments merged now and then, as a busy machine may deliver them; never a full 5120.
 */
function expectSegmentSized(sizes: readonly number[]): void {
	expect(sizes.reduce((sum, size) => sum + size, 0)).toBe(70301);
	expect(Math.max(...sizes)).toBeLessThanOrEqual(2 * 1460);
	expect(sizes.filter((size) => size === 1460).length).toBeGreaterThanOrEqual(40);
}

/** A reader sleeping 0.25 s on book-run-1 whose first read took only the first segment of the first pair. */
const SLEEPING_RUN_1_PAIR_APART: readonly number[] = [1460, ...Array<number>(13).fill(5120), 821 + 1460];

/**
 * Reads that are `arrivals` (the book's first run), where a read may also take only whole segments of an
 * arrival (1460 of 2920; 1460, then 221, of 1681): the same bytes, the same segments, sometimes read apart.
 */
function expectArrivals(reads: readonly number[], arrivals: readonly number[]): void {
	const segmentsOf = (size: number): number[] => (size > 1460 ? [1460, size - 1460] : [size]);
	let next = 0;
	for (const arrival of arrivals) {
		const segments = segmentsOf(arrival);
		const taken = reads[next] === arrival ? [reads[next]!] : reads.slice(next, next + segments.length);
		expect(taken, `reads ${next + 1} on, for an arrival of ${arrival}`).toEqual(taken.length === 1 ? [arrival] : segments);
		next += taken.length;
	}
	expect(next).toBe(reads.length);
}

// The chapter's program (urljpeg.py), pointed at the replica and with the sleep as an argument.
const CHAPTER_PROGRAM = `
import socket, sys, time
mysock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
mysock.connect(('127.0.0.1', int(sys.argv[1])))
mysock.sendall(b'GET http://data.pr4e.org/cover3.jpg HTTP/1.0\\r\\n\\r\\n')
count = 0
picture = b''
while True:
    data = mysock.recv(5120)
    if len(data) < 1: break
    time.sleep(float(sys.argv[2]))
    count = count + len(data)
    print(len(data), count)
    picture = picture + data
mysock.close()
print('Header length', picture.find(b'\\r\\n\\r\\n'))
`;

async function runPython(python: string, program: string, args: string[]): Promise<string> {
	const {spawn} = await import('node:child_process');
	return new Promise((resolve, reject) => {
		const child = spawn(python, ['-c', program, ...args], {stdio: ['ignore', 'pipe', 'pipe']});
		let stdout = '';
		let stderr = '';
		child.stdout.on('data', (data: Buffer) => (stdout += data.toString()));
		child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
		child.on('error', reject);
		child.on('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`python exited ${code}: ${stderr}`))));
	});
}

describe('the realistic link', () => {
	test('delivers every byte, with recv sizes that vary from run to run', async () => {
		const replica = await useReplica({link: 'realistic'});
		const sizeLists: string[] = [];
		for (let run = 0; run < 3; run++) {
			const {data, chunks} = await retrieve({host: replica.host, port: replica.port, request: CHAPTER_REQUEST});
			expect(splitResponse(data).body.equals(COVER)).toBe(true);
			expect(Math.max(...chunks.map((chunk) => chunk.size))).toBeLessThanOrEqual(5120);
			sizeLists.push(chunks.map((chunk) => chunk.size).join(' '));
		}
		expect(new Set(sizeLists).size).toBeGreaterThan(1);
	});
});

describe('the replica refuses', () => {
	test.each([
		{request: 'GET /nothing-here HTTP/1.0\r\n\r\n', status: 404},
		{request: 'GET /../../etc/passwd HTTP/1.0\r\n\r\n', status: 404},
		{request: 'GET /%2e%2e/%2e%2e/etc/passwd HTTP/1.0\r\n\r\n', status: 404},
		{request: 'GET /%2E%2E%2Fpackage.json HTTP/1.0\r\n\r\n', status: 404},
		{request: 'GET http://data.pr4e.org/../lib/data/cover3.jpg HTTP/1.0\r\n\r\n', status: 404},
		{request: 'GET /data/cover3.jpg HTTP/1.0\r\n\r\n', status: 404},
		{request: 'GET /%zz HTTP/1.0\r\n\r\n', status: 400},
		{request: 'GARBAGE\r\n\r\n', status: 400},
		{request: 'GET /cover3.jpg\r\n\r\n', status: 400},
		{request: 'GET  /cover3.jpg HTTP/1.0\r\n\r\n', status: 400},
		{request: 'GET ftp://data.pr4e.org/cover3.jpg HTTP/1.0\r\n\r\n', status: 400},
		{request: 'POST /cover3.jpg HTTP/1.0\r\nContent-Length: 0\r\n\r\n', status: 405},
		{request: 'DELETE /cover3.jpg HTTP/1.1\r\n\r\n', status: 405},
	])('$request with $status', async ({request, status}) => {
		const replica = await useReplica();
		const split = splitResponse(await rawExchange(replica.port, request));
		expect(split.status.statusCode).toBe(status);
		expect(split.headers.get('connection')).toBe('close');
		expect(split.bodyLengthMatches).toBe(true);
		if (status === 405) expect(split.headers.get('allow')).toBe('GET, HEAD');
		expect(replica.connections[0]).toMatchObject({status, outcome: 'rejected'});
		// The error response has a start too, on the same clock as a paced one's.
		expect(replica.connections[0]?.responseStartedAt).toBeGreaterThan(performance.timeOrigin);
	});

	test('a request head over 8 KiB with 431, and closes the connection', async () => {
		const replica = await useReplica();
		const request = `GET /cover3.jpg HTTP/1.1\r\nX-Padding: ${'x'.repeat(9000)}\r\n\r\n`;
		const split = splitResponse(await rawExchange(replica.port, request));
		expect(split.status.statusCode).toBe(431);
	});

	test('a client that never finishes its head with 408 after headTimeoutMs', async () => {
		const replica = await useReplica({headTimeoutMs: 300});
		const split = splitResponse(await rawExchange(replica.port, 'GET /cover3.jpg HTTP/1.0\r\n'));
		expect(split.status.statusCode).toBe(408);
		expect(replica.connections[0]?.detail).toContain('300 ms');
	});

	test('a request that ends before its blank line (a half-close after a partial head) with 400, and closes', async () => {
		const replica = await useReplica();
		for (const partial of ['GET /cover3.jpg HTTP/1.0\r\n', '\x16\x03\x01\x02\x00\x01\x00', 'junk']) {
			const answer = await halfClosedExchange(replica.port, partial);
			expect(splitResponse(answer).status.statusCode).toBe(400);
		}
		await replica.idle();
		expect(replica.connections.map((log) => log.status)).toEqual([400, 400, 400]);
	});

	test('no connection from a client that connects and closes without a word: no socket left in CLOSE-WAIT', async () => {
		const replica = await useReplica();
		for (let i = 0; i < 20; i++) expect(await halfClosedExchange(replica.port, '')).toHaveLength(0);
		// idle() resolves only once the replica has closed every connection of its own.
		await replica.idle();
		expect(replica.connections).toHaveLength(20);
		expect(replica.connections.every((log) => log.outcome === 'client-closed')).toBe(true);
	});

	test('a silent client with 408 too', async () => {
		const replica = await useReplica({headTimeoutMs: 300});
		const split = splitResponse(await rawExchange(replica.port, ''));
		expect(split.status.statusCode).toBe(408);
	});
});

describe('the replica survives', () => {
	test('a client that disconnects mid-body, and goes on serving everyone else', async () => {
		const replica = await useReplica({link: 'book-run-1'});
		const quitter: net.Socket = net.connect({host: '127.0.0.1', port: replica.port}, () => quitter.write(CHAPTER_REQUEST));
		await new Promise<void>((resolve) => quitter.once('data', () => resolve()));
		quitter.resetAndDestroy();
		const {data, chunks} = await retrieve({host: replica.host, port: replica.port, request: CHAPTER_REQUEST});
		expect(chunks.map((chunk) => chunk.size)).toEqual(RUN_1_SIZES);
		expect(data.length).toBe(70301);
		await replica.idle();
		expect(replica.connections.map((log) => log.outcome)).toEqual(['client-closed', 'complete']);
	});

	test.each([
		{path: '/cover3.jpg', outcome: 'complete', why: 'takes the whole response into its buffers but never closes'},
		{path: '/flow-control.bin', outcome: 'stalled', why: 'stops reading part way'},
	])('a client that $why: it is dropped after stallTimeoutMs', async ({path: resourcePath, outcome}) => {
		const replica = await useReplica({link: 'fast', stallTimeoutMs: 400});
		const silent: net.Socket = net.connect({host: '127.0.0.1', port: replica.port}, () => silent.write(`GET ${resourcePath} HTTP/1.0\r\n\r\n`));
		silent.pause();
		silent.on('error', () => {});
		onTestFinished(() => {
			silent.destroy();
		});
		await waitUntil(() => replica.connections.length > 0, {timeoutMs: 10_000, what: 'the replica to accept the silent client'});
		await replica.idle();
		expect(replica.connections[0]).toMatchObject({outcome, status: 200});
	});

	// With the accept queue at 2048, one run in two reset hundreds of these (871 of 10,000 once).
	test('10,000 clients connecting at the same moment: every one answered, none reset', async () => {
		// The accept queue is what this tests: with the default cap (128), a thousand or so would get 503.
		const replica = await useReplica({link: 'fast', maxConnections: 10_000});
		const clients = `
			const net = require('net');
			const port = Number(process.argv[1]);
			const counts = {answered: 0, reset: 0, other: 0};
			let done = 0;
			for (let i = 0; i < 10000; i++) {
				const socket = net.connect({host: '127.0.0.1', port}, () => socket.end('GET /romeo.txt HTTP/1.0\\r\\n\\r\\n'));
				let bytes = 0;
				socket.on('data', (data) => (bytes += data.length));
				socket.on('error', (error) => (error.code === 'ECONNRESET' ? counts.reset++ : counts.other++));
				socket.on('close', () => {
					if (bytes > 0) counts.answered++;
					if (++done === 10000) console.log(JSON.stringify(counts));
				});
			}`;
		// The clients in a process of their own, so that the replica's event loop is its own, as in a class.
		const {stdout} = await execFileAsync(process.execPath, ['-e', clients, String(replica.port)], {timeout: 120_000});
		expect(JSON.parse(stdout)).toEqual({answered: 10000, reset: 0, other: 0});
	}, 180_000);

	test('1,000 concurrent book-run-2 downloads, each receiving all 70301 bytes correctly', async () => {
		const replica = await useReplica({link: 'book-run-2', maxConnections: 1000});
		const expected = Buffer.concat([Buffer.from(`${RUN_2_HEADER}\r\n\r\n`, 'latin1'), COVER]);
		const results = await Promise.all(Array.from({length: 1000}, () => retrieve({host: replica.host, port: replica.port, request: CHAPTER_REQUEST, delayMs: 250, timeoutMs: 30_000})));
		expect(results.filter(({data}) => data.equals(expected)).length).toBe(1000);
		await replica.idle();
		expect(replica.connections.filter((log) => log.outcome === 'complete').length).toBe(1000);
	}, 120_000);
});

describe('flow control', () => {
	test('is recorded: a reader that sleeps makes the sender wait for drain', async () => {
		const replica = await useReplica({link: 'fast'});
		const {data} = await retrieve({
			host: replica.host,
			port: replica.port,
			request: 'GET /flow-control.bin HTTP/1.0\r\n\r\n',
			recvSize: 65536,
			delayMs: 10,
		});
		await replica.idle();
		const [log] = replica.connections;
		expect(splitResponse(data).body.length).toBe(8 * 1024 * 1024);
		expect(log?.bytesSent).toBe(data.length);
		expect(log?.pauses).toBeGreaterThan(0);
		expect(log?.pausedMs).toBeGreaterThan(0);
		expect(log?.writes.some((write) => write.refused && write.waitedMs > 0)).toBe(true);
	});

	test('is absent for a reader that keeps up with a paced link', async () => {
		const replica = await useReplica({link: 'book-run-1'});
		await retrieve({host: replica.host, port: replica.port, request: CHAPTER_REQUEST});
		await replica.idle();
		expect(replica.connections[0]).toMatchObject({pauses: 0, outcome: 'complete', bytesSent: 70301});
		const writes = replica.connections[0]?.writes ?? [];
		expect(writes.map((write) => write.bytes)).toEqual([...Array<number>(48).fill(1460), 221]);
		// Segments written back to back are microseconds apart, arrivals 30 ms: within 15 ms is one arrival.
		const together: number[] = [];
		for (const [index, write] of writes.entries()) {
			if (index > 0 && write.atMs - writes[index - 1]!.atMs < 15) together[together.length - 1]! += write.bytes;
			else together.push(write.bytes);
		}
		expect(together).toEqual(RUN_1_SIZES);
	});

	test('dates the response on the clock a client in this process reads: performance.timeOrigin + performance.now()', async () => {
		const replica = await useReplica({link: 'book-run-1'});
		const before = performance.timeOrigin + performance.now();
		await retrieve({host: replica.host, port: replica.port, request: CHAPTER_REQUEST});
		const after = performance.timeOrigin + performance.now();
		await replica.idle();
		const log = replica.connections[0];
		expect(log?.responseStartedAt).toBeGreaterThan(before);
		// The last write's atMs counts from responseStartedAt, so both fall before the download ended.
		expect((log?.responseStartedAt ?? 0) + (log?.writes.at(-1)?.atMs ?? Infinity)).toBeLessThan(after);
	});
});

describe('startReplica', () => {
	test('binds 127.0.0.1 by default and reports its URL', async () => {
		const replica = await useReplica();
		expect(replica.host).toBe('127.0.0.1');
		expect(replica.url).toBe(`http://127.0.0.1:${replica.port}`);
	});

	test('rejects a port in use with ListenError naming it', async () => {
		const first = await useReplica();
		const error = await rejectionOf(startReplica({port: first.port}));
		expect(error).toBeInstanceOf(ListenError);
		expect(error.message).toContain(`127.0.0.1:${first.port}`);
		expect(error.message).toContain('EADDRINUSE');
	});

	test.each([
		[{maxHeadBytes: 0}, 'a whole number of bytes from 1'],
		[{stallTimeoutMs: Number.NaN}, 'a number of milliseconds above 0 to 2147483647'],
		[{headTimeoutMs: 2 ** 31}, 'a number of milliseconds above 0 to 2147483647'],
		[{keepLogs: -1}, 'a whole number of logs from 0'],
		[{maxConnections: 0}, 'a whole number of connections from 1'],
		[{port: 70000}, 'a whole number from 0 to 65535'],
	])('rejects %o with a RangeError that names the option, its unit and the value given', async (options, what) => {
		const [[name, value]] = Object.entries(options) as [[string, number]];
		const error = await rejectionOf(startReplica(options));
		expect(error).toBeInstanceOf(RangeError);
		expect(error.message).toMatch(new RegExp(`^${name} must be ${what}.*, got ${value}$`));
	});

	test('rejects an unknown link profile, listing the known ones', async () => {
		await expect(startReplica({link: 'dial-up' as never})).rejects.toThrow(/book-run-1, book-run-2, realistic, fast/);
	});

	test('close drops open connections and can be called twice', async () => {
		const replica = await startReplica({headTimeoutMs: 60_000});
		const socket = net.connect({host: '127.0.0.1', port: replica.port});
		await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
		const closedByServer = new Promise<void>((resolve) => socket.once('close', () => resolve()));
		socket.on('error', () => {});
		await Promise.all([replica.close(), replica.close()]);
		await closedByServer;
		await within(replica.idle(), 5000, 'the closed replica to have no connection open');
	});
});
