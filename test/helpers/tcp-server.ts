import * as net from 'node:net';
import {setTimeout as sleep} from 'node:timers/promises';
import {socketQueues} from '../../lib/client/socket-queues';
import {waitUntil} from '../../scripts/support/wait-until.js';
import {onTestFinished} from 'vitest';

/** A loopback TCP server for one test, closed (with every connection) when the test finishes. */
export interface TestServer {
	readonly host: string;
	readonly port: number;
	/** What each client sent before the server answered, one entry per connection. */
	readonly requests: Buffer[];
	close(): Promise<void>;
}

/**
 * Starts a raw TCP server on 127.0.0.1, port 0, that calls `handle` for each connection and closes itself,
 * and every connection, when the current test finishes.
 */
export async function startTcpServer(handle: (socket: net.Socket, server: TestServer) => void): Promise<TestServer> {
	const sockets = new Set<net.Socket>();
	const server = net.createServer((socket) => {
		sockets.add(socket);
		socket.on('close', () => sockets.delete(socket));
		// A client that resets is part of several tests; it must not become an unhandled error.
		socket.on('error', () => {});
		handle(socket, testServer);
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const {port} = server.address() as net.AddressInfo;
	const testServer: TestServer = {
		host: '127.0.0.1',
		port,
		requests: [],
		close: () =>
			new Promise<void>((resolve) => {
				for (const socket of sockets) socket.destroy();
				server.close(() => resolve());
			}),
	};
	onTestFinished(() => testServer.close());
	return testServer;
}

/** One write of a scripted response, after a pause. */
export interface Burst {
	/** The bytes to write in one `write` call. */
	readonly bytes: Uint8Array | string;
	/** How long to wait before writing them, in milliseconds. Default 0. */
	readonly gapMs?: number;
}

/** What the scripted server does after its last burst. */
export type Ending = 'close' | 'reset' | 'hold';

/**
 * Starts a server that, on each connection, waits for the client's first bytes (the request), then writes
 * `bursts` one `write` at a time with their gaps (Nagle off, so each burst leaves at once), then closes
 * (`close`), resets (`reset`) or keeps the connection open (`hold`).
 */
export function startBurstServer(bursts: readonly Burst[], ending: Ending = 'close'): Promise<TestServer> {
	return startTcpServer((socket, server) => {
		socket.setNoDelay(true);
		socket.once('data', async (request: Buffer) => {
			server.requests.push(request);
			for (const burst of bursts) {
				if (burst.gapMs) await sleep(burst.gapMs);
				if (socket.destroyed) return;
				await new Promise<void>((resolve) => socket.write(burst.bytes, () => resolve()));
			}
			if (ending === 'close') socket.end();
			if (ending === 'reset') {
				// A reset that overtakes the last write reaches the client as a plain end of stream, not an error:
				// reset only once the client's kernel has acknowledged every byte.
				await waitUntil(() => socketQueues(socket.localPort!, socket.remotePort!)?.sendQueue === 0, {timeoutMs: 5000, intervalMs: 5, what: 'the client to acknowledge the last write'});
				socket.resetAndDestroy();
			}
		});
	});
}

/** Cuts `data` into consecutive bursts of the given sizes, each after `gapMs`. */
export function cutIntoBursts(data: Uint8Array, sizes: readonly number[], gapMs: number): Burst[] {
	const total = sizes.reduce((sum, size) => sum + size, 0);
	if (total !== data.length) throw new Error(`burst sizes add up to ${total}, but there are ${data.length} bytes`);
	let offset = 0;
	return sizes.map((size) => {
		const bytes = data.subarray(offset, offset + size);
		offset += size;
		return {bytes, gapMs};
	});
}
