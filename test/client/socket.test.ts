import * as net from 'node:net';
import {describe, expect, onTestFinished, test} from 'vitest';
import {ConnectError, ConnectionLostError, EMPTY_RECVS_BEFORE_ERROR, HostNotFoundError, RecvAfterEndError, Socket, SocketClosedError, TimeoutError} from '../../lib/index';
import {socketQueues} from '../../lib/client/socket-queues';
import {waitUntil} from '../../scripts/support/wait-until.js';
import {patternBytes} from '../helpers/chapter';
import {rejectionOf} from '../helpers/rejection';
import {startBurstServer, startTcpServer} from '../helpers/tcp-server';
import {startUnresponsiveListener} from '../helpers/unresponsive-listener';

async function connectTo(server: {host: string; port: number}, timeoutMs?: number): Promise<Socket> {
	const socket = await Socket.connect(server.host, server.port, timeoutMs === undefined ? {} : {timeoutMs});
	onTestFinished(() => socket.close());
	return socket;
}

/** recv(maxBytes) until the empty buffer that means end of stream; returns each recv's bytes. */
async function recvAll(socket: Socket, maxBytes: number): Promise<Buffer[]> {
	const pieces: Buffer[] = [];
	for (let data = await socket.recv(maxBytes); data.length > 0; data = await socket.recv(maxBytes)) pieces.push(data);
	return pieces;
}

/** Waits until at least `count` bytes sit unread in the kernel's receive queue of `socket`. */
async function bytesWaitingInKernel(socket: Socket, serverPort: number, count: number): Promise<void> {
	await waitUntil(() => (socketQueues(socket.localPort!, serverPort)?.receiveQueue ?? 0) >= count, {timeoutMs: 5000, what: `${count} bytes in the receive queue`});
}

async function closedPort(): Promise<number> {
	const server = net.createServer();
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const {port} = server.address() as net.AddressInfo;
	await new Promise<void>((resolve) => server.close(() => resolve()));
	return port;
}

describe('recv', () => {
	test('returns each burst as soon as it arrives, without waiting to fill maxBytes', async () => {
		const server = await startBurstServer([{bytes: patternBytes(100)}, {bytes: patternBytes(2000), gapMs: 30}, {bytes: patternBytes(50), gapMs: 30}]);
		const socket = await connectTo(server);
		await socket.sendall('hi');
		const pieces = await recvAll(socket, 5120);
		expect(pieces.map((piece) => piece.length)).toEqual([100, 2000, 50]);
	});

	test('splits a larger arrival across calls, never more than maxBytes, losing no byte', async () => {
		const sent = patternBytes(10_000);
		const server = await startBurstServer([{bytes: sent}]);
		const socket = await connectTo(server);
		await socket.sendall('hi');
		await bytesWaitingInKernel(socket, server.port, sent.length);
		const pieces = await recvAll(socket, 3000);
		expect(pieces.map((piece) => piece.length)).toEqual([3000, 3000, 3000, 1000]);
		expect(Buffer.concat(pieces).equals(sent)).toBe(true);
	});

	test('joins bytes that arrived separately while nobody was reading, up to maxBytes', async () => {
		const sent = patternBytes(300);
		const server = await startBurstServer([{bytes: sent.subarray(0, 100)}, {bytes: sent.subarray(100, 200), gapMs: 10}, {bytes: sent.subarray(200), gapMs: 10}]);
		const socket = await connectTo(server);
		await socket.sendall('hi');
		await bytesWaitingInKernel(socket, server.port, sent.length);
		const first = await socket.recv(250);
		const second = await socket.recv(250);
		expect([first.length, second.length]).toEqual([250, 50]);
		expect(Buffer.concat([first, second]).equals(sent)).toBe(true);
	});

	test('resolves with an empty buffer once the peer closed and everything was read, and keeps doing so', async () => {
		const server = await startBurstServer([{bytes: 'last words'}]);
		const socket = await connectTo(server);
		await socket.sendall('hi');
		expect((await socket.recv(5120)).toString()).toBe('last words');
		expect((await socket.recv(5120)).length).toBe(0);
		expect((await socket.recv(5120)).length).toBe(0);
	});

	test('resolves with an empty buffer when the server closes before sending anything', async () => {
		const server = await startTcpServer((socket) => socket.end());
		const socket = await connectTo(server);
		expect((await socket.recv(5120)).length).toBe(0);
	});

	test('takes exactly what each call asks for from the OS, leaving the rest in the kernel, whatever the sizes', async () => {
		const sent = patternBytes(20_000);
		// Held open: a FIN would count as one more byte in the kernel's queue.
		const server = await startBurstServer([{bytes: sent}], 'hold');
		const socket = await connectTo(server);
		await socket.sendall('hi');
		await waitUntil(() => socketQueues(socket.localPort!, server.port)?.receiveQueue === sent.length, {timeoutMs: 5000, what: 'the bytes to reach the receive queue'});
		let taken = 0;
		for (const size of [10, 100, 3, 5120, 1, 9000]) {
			const data = await socket.recv(size);
			expect(data.length).toBe(size);
			expect(data.equals(sent.subarray(taken, taken + size))).toBe(true);
			taken += size;
			expect(socketQueues(socket.localPort!, server.port)?.receiveQueue).toBe(sent.length - taken);
		}
	});

	test('after the end, answers through the event loop, so timers and signals run in a loop that forgot its break', async () => {
		const server = await startBurstServer([]);
		const socket = await connectTo(server);
		await socket.sendall('hi');
		expect(await socket.recv(5120)).toHaveLength(0);
		// Queued before the next recv: answered through the event loop, the empty result comes after it. Each
		// turn of the loop also runs the timers that are due and the signal handlers.
		const events: string[] = [];
		setImmediate(() => events.push('queued callback'));
		events.push(`recv ${(await socket.recv(5120)).length}`);
		expect(events).toEqual(['queued callback', 'recv 0']);
	});

	test('after many empty results in a row, says the connection is closed and how the loop should stop', async () => {
		const server = await startBurstServer([{bytes: 'abc'}]);
		const socket = await connectTo(server);
		await socket.sendall('hi');
		let empties = 0;
		const error = await rejectionOf(
			(async () => {
				// Bounded: a library that never said so would fail here, not spin for ever.
				for (let calls = 0; calls <= EMPTY_RECVS_BEFORE_ERROR; calls += 1) if ((await socket.recv(5120)).length === 0) empties += 1;
				throw new Error(`no RecvAfterEndError after ${EMPTY_RECVS_BEFORE_ERROR + 1} recvs`);
			})(),
		);
		expect(error).toBeInstanceOf(RecvAfterEndError);
		expect(error).toMatchObject({code: 'PR4E_ERR_RECV_AFTER_END', emptyResults: EMPTY_RECVS_BEFORE_ERROR});
		expect(empties).toBe(EMPTY_RECVS_BEFORE_ERROR - 1);
		expect(error.message).toContain('if (data.length < 1) break;');
		expect(error.message).toContain(`127.0.0.1:${server.port}`);
	});

	test('serves concurrent calls in call order, never interleaving their bytes', async () => {
		const server = await startBurstServer([{bytes: 'hello world!'}]);
		const socket = await connectTo(server);
		const calls = [socket.recv(5), socket.recv(5), socket.recv(5)];
		await socket.sendall('hi');
		const results = await Promise.all(calls);
		expect(results.map((data) => data.toString())).toEqual(['hello', ' worl', 'd!']);
	});

	test.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('rejects maxBytes %s with a RangeError', async (size) => {
		const server = await startBurstServer([]);
		const socket = await connectTo(server);
		await expect(socket.recv(size)).rejects.toThrow(RangeError);
	});

	test('times out on a server that accepts and says nothing, and the socket stays usable', async () => {
		const server = await startBurstServer([{bytes: 'late', gapMs: 400}]);
		const socket = await connectTo(server, 100);
		await socket.sendall('hi');
		const error = await rejectionOf(socket.recv(5120));
		expect(error).toBeInstanceOf(TimeoutError);
		expect(error).toMatchObject({code: 'PR4E_ERR_TIMEOUT', operation: 'recv', timeoutMs: 100});
		expect(error.message).toContain(`127.0.0.1:${server.port}`);
		await bytesWaitingInKernel(socket, server.port, 'late'.length);
		expect((await socket.recv(5120)).toString()).toBe('late');
	});

	test('hands out every byte that arrived before a reset, then rejects with ConnectionLostError', async () => {
		const server = await startBurstServer([{bytes: 'partial'}], 'reset');
		const socket = await connectTo(server);
		await socket.sendall('hi');
		// A reset connection leaves the kernel's table; its unread bytes stay with the socket.
		await waitUntil(() => socketQueues(socket.localPort!, server.port) === undefined, {timeoutMs: 5000, what: 'the reset to arrive'});
		expect((await socket.recv(5120)).toString()).toBe('partial');
		const error = await rejectionOf(socket.recv(5120));
		expect(error).toBeInstanceOf(ConnectionLostError);
		expect(error).toMatchObject({code: 'PR4E_ERR_CONNECTION_LOST'});
		expect(error.message).toContain('ECONNRESET');
	});
});

describe('sendall', () => {
	test('sends a string as UTF-8 and bytes as they are', async () => {
		const server = await startTcpServer((socket, self) => socket.on('data', (data: Buffer) => self.requests.push(data)));
		const socket = await connectTo(server);
		await socket.sendall('GET /café\r\n');
		await socket.sendall(new Uint8Array([0, 255, 10]));
		const expected = Buffer.concat([Buffer.from('GET /café\r\n', 'utf8'), Buffer.from([0, 255, 10])]);
		const received = await waitUntil(
			() => {
				const bytes = Buffer.concat(server.requests);
				return bytes.length >= expected.length && bytes;
			},
			{timeoutMs: 5000, what: `${expected.length} bytes at the server`},
		);
		expect(received.equals(expected)).toBe(true);
	});
});

describe('flow control', () => {
	test('reads nothing ahead: while nobody calls recv, the bytes wait in the kernel and the sender has to wait', async () => {
		let sender: net.Socket | undefined;
		const server = await startTcpServer((socket) => (sender = socket));
		const socket = await connectTo(server);
		await waitUntil(() => sender, {timeoutMs: 5000, what: 'the server to accept'});
		// Write until the socket refuses more: the reader's receive buffer and the sender's are full.
		const chunk = Buffer.alloc(64 * 1024, 7);
		let written = 0;
		while (sender!.write(chunk)) written += chunk.length;
		written += chunk.length;
		const queues = await waitUntil(
			() => {
				const now = socketQueues(socket.localPort!, server.port);
				return now && now.receiveQueue > 0 ? now : undefined;
			},
			{timeoutMs: 5000, what: 'bytes in the receive queue'},
		);
		expect(sender!.writableLength).toBeGreaterThan(0);
		expect(queues.receiveQueue).toBeGreaterThan(64 * 1024);
		// Reading it all back shows nothing was lost while it waited.
		let received = 0;
		while (received < written) received += (await socket.recv(1 << 20)).length;
		expect(received).toBe(written);
	});

	test('sendall times out when the peer takes nothing, instead of hanging', async () => {
		const server = await startTcpServer((socket) => socket.pause());
		const socket = await connectTo(server, 300);
		const error = await rejectionOf(socket.sendall(Buffer.alloc(64 * 1024 * 1024)));
		expect(error).toBeInstanceOf(TimeoutError);
		expect(error).toMatchObject({operation: 'sendall'});
	});

	test('sendall rejects what is neither a string nor bytes with a TypeError', async () => {
		const server = await startBurstServer([]);
		const socket = await connectTo(server);
		await expect(socket.sendall(42 as never)).rejects.toThrow(TypeError);
	});
});

describe('close', () => {
	test('makes later sendall and recv reject with SocketClosedError', async () => {
		const server = await startBurstServer([]);
		const socket = await connectTo(server);
		await socket.close();
		await expect(socket.sendall('x')).rejects.toThrow(SocketClosedError);
		await expect(socket.recv(10)).rejects.toMatchObject({code: 'PR4E_ERR_SOCKET_CLOSED', operation: 'recv'});
		await socket.close();
	});

	test('rejects a recv that was waiting', async () => {
		const server = await startBurstServer([]);
		const socket = await connectTo(server);
		const waiting = expect(socket.recv(10)).rejects.toThrow(SocketClosedError);
		await socket.close();
		await waiting;
	});
});

describe('connect', () => {
	test('names host:port when the connection is refused', async () => {
		const port = await closedPort();
		const error = await rejectionOf(Socket.connect('127.0.0.1', port));
		expect(error).toBeInstanceOf(ConnectError);
		expect(error).toMatchObject({code: 'PR4E_ERR_CONNECT', host: '127.0.0.1', port});
		expect(error.message).toContain(`127.0.0.1:${port}`);
		expect(error.message).toContain('ECONNREFUSED');
		expect(error.cause).toMatchObject({code: 'ECONNREFUSED'});
	});

	test('says the host was not found for a name that does not resolve', async () => {
		const error = await rejectionOf(Socket.connect('no-such-host.invalid', 80));
		expect(error).toBeInstanceOf(HostNotFoundError);
		expect(error).toMatchObject({code: 'PR4E_ERR_HOST_NOT_FOUND', host: 'no-such-host.invalid'});
		expect(error.message).toContain('no-such-host.invalid');
	});

	test('times out when nobody answers the connection attempt', async () => {
		const listener = await startUnresponsiveListener();
		const error = await rejectionOf(Socket.connect(listener.host, listener.port, {timeoutMs: 300}));
		expect(error).toBeInstanceOf(TimeoutError);
		expect(error).toMatchObject({code: 'PR4E_ERR_TIMEOUT', operation: 'connect'});
		expect(error.message).toContain(`${listener.host}:${listener.port}`);
	});

	test.each([0, -5, Number.NaN, 2 ** 31])('rejects timeoutMs %s with a RangeError, as a timer would fire at once past 2^31 - 1', async (timeoutMs) => {
		const server = await startBurstServer([]);
		await expect(Socket.connect(server.host, server.port, {timeoutMs})).rejects.toThrow(RangeError);
	});

	test.each([0, -1, 65536, 80.5])('rejects port %s with a RangeError', async (port) => {
		await expect(Socket.connect('127.0.0.1', port)).rejects.toThrow(RangeError);
	});
});
