import {afterAll, beforeAll, describe, expect, test} from 'vitest';
import {InterruptedError, interruptCalls, retrieve, Socket} from '../../lib/index';
import {CHAPTER_REQUEST} from '../helpers/chapter';
import {rejectionOf} from '../helpers/rejection';
import {useReplica} from '../helpers/replica';
import {startBurstServer, startTcpServer} from '../helpers/tcp-server';
import {within} from '../helpers/within';
import {socketQueues} from '../../lib/client/socket-queues';
import {waitUntil} from '../../scripts/support/wait-until.js';

// The library tracks calls only where something else handles SIGINT, as tslab does; this stands in for it.
// interruptCalls() is what the library's own SIGINT listener runs (the real signal is tested in a real
// kernel, in test/kernel/interrupts.test.mts).
const kernelSigintHandler = (): void => {};
beforeAll(() => void process.on('SIGINT', kernelSigintHandler));
afterAll(() => void process.off('SIGINT', kernelSigintHandler));

/**
 * Runs `cell` in an async context of its own, as tslab runs each notebook cell, so that the scope the
 * library gives the cell's calls is the cell's alone.
 */
function asCell<T>(cell: () => Promise<T>): Promise<T> {
	return new Promise((resolve, reject) => setImmediate(() => cell().then(resolve, reject)));
}

describe('an interrupt', () => {
	test("rejects the running cell's waiting recv, refuses that cell's later calls, and leaves other cells alone", async () => {
		const server = await startBurstServer([{bytes: 'after the interrupt'}]);
		const socket = await asCell(() => Socket.connect(server.host, server.port));
		const events: string[] = [];
		let later: Promise<unknown> | undefined;
		const interrupted = asCell(async () => {
			// The server answers only after a request, so nothing but the interrupt can end this recv.
			const waiting = socket.recv(5120);
			events.push('recv waiting');
			setImmediate(() => {
				events.push('interrupt');
				interruptCalls();
			});
			try {
				return await waiting;
			} catch (error) {
				events.push('recv rejected');
				throw error;
			} finally {
				// What a loop does next: it calls recv again, and must be refused, not served.
				later = socket.recv(5120);
			}
		});
		const error = await rejectionOf(within(interrupted, 10_000, 'the interrupted recv to reject'));
		expect(events).toEqual(['recv waiting', 'interrupt', 'recv rejected']);
		expect(error).toBeInstanceOf(InterruptedError);
		expect(error).toMatchObject({code: 'PR4E_ERR_INTERRUPTED', operation: 'recv', when: 'pending'});
		expect(error.message).toContain(`127.0.0.1:${server.port}`);
		expect(await rejectionOf(later!)).toMatchObject({code: 'PR4E_ERR_INTERRUPTED', when: 'later'});
		// The next cell uses the same socket, and nothing the server sent was lost.
		const text = await asCell(async () => {
			await socket.sendall('hi');
			return (await socket.recv(5120)).toString();
		});
		expect(text).toBe('after the interrupt');
		await socket.close();
	});

	test('ends a retrieve while it sleeps between recvs, without waiting for the sleep to end', async () => {
		const replica = await useReplica({link: 'book-run-2'});
		const events: string[] = [];
		// A sleep of a minute: the cell can end within the bound below only if the interrupt cuts it short.
		const cell = asCell(() =>
			retrieve({
				host: replica.host,
				port: replica.port,
				request: CHAPTER_REQUEST,
				delayMs: 60_000,
				onChunk: () => {
					events.push('chunk');
					// The next turn of the event loop, when retrieve is asleep after this chunk.
					setImmediate(() => {
						events.push('interrupt');
						interruptCalls();
					});
				},
			}),
		);
		const error = await rejectionOf(within(cell, 10_000, 'the interrupted retrieve to reject, long before its 60 s sleep ends'));
		expect(events).toEqual(['chunk', 'interrupt']);
		expect(error).toMatchObject({code: 'PR4E_ERR_INTERRUPTED', operation: 'retrieve', when: 'pending'});
		// As any failure part way, it keeps what did arrive.
		expect(error.partial?.bytesReceived).toBeGreaterThan(0);
	});

	test('rejects a sendall waiting for a peer that takes nothing', async () => {
		const server = await startTcpServer((peer) => peer.pause());
		const socket = await asCell(() => Socket.connect(server.host, server.port));
		const cell = asCell(async () => {
			try {
				await socket.sendall(Buffer.alloc(64 * 1024 * 1024));
			} finally {
				await socket.close();
			}
		});
		// Bytes in the operating system's send queue: the sendall is under way, and 64 MB cannot fit in a paused peer's buffers.
		await waitUntil(() => (socketQueues(socket.localPort!, server.port)?.sendQueue ?? 0) > 0, {timeoutMs: 5000, what: 'the sendall to fill the send queue'});
		interruptCalls();
		expect(await rejectionOf(within(cell, 10_000, 'the interrupted sendall to reject'))).toMatchObject({code: 'PR4E_ERR_INTERRUPTED', operation: 'sendall', when: 'pending'});
	});

	test('does not touch a cell that finished before it, nor its sockets', async () => {
		const server = await startBurstServer([{bytes: 'fine'}]);
		const socket = await asCell(() => Socket.connect(server.host, server.port));
		await asCell(() => socket.sendall('hi'));
		// Another cell is interrupted; this socket's cell had finished.
		await rejectionOf(asCell(() => new Promise((_, reject) => setTimeout(() => reject(new Error('other cell')), 10))));
		interruptCalls();
		expect((await asCell(() => socket.recv(5120))).toString()).toBe('fine');
		await socket.close();
	});
});
