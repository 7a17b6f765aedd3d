import {afterAll, beforeAll, describe, expect, test} from 'vitest';
import {InterruptedError, interruptCalls, retrieve, Socket} from '../../lib/index';
import {CHAPTER_REQUEST} from '../helpers/chapter';
import {rejectionOf} from '../helpers/rejection';
import {useReplica} from '../helpers/replica';
import {startBurstServer, startTcpServer} from '../helpers/tcp-server';
import {setTimeout as sleep} from 'node:timers/promises';

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
		let later: Promise<unknown> | undefined;
		const interrupted = asCell(async () => {
			const waiting = socket.recv(5120);
			setTimeout(interruptCalls, 50);
			try {
				return await waiting;
			} finally {
				// What a loop does next: it calls recv again, and must be refused, not served.
				later = socket.recv(5120);
			}
		});
		const started = Date.now();
		const error = await rejectionOf(interrupted);
		expect(Date.now() - started).toBeLessThan(1000);
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

	test('ends a retrieve while it sleeps between recvs, within the second', async () => {
		const replica = await useReplica({link: 'book-run-2'});
		const cell = asCell(() => retrieve({host: replica.host, port: replica.port, request: CHAPTER_REQUEST, delayMs: 250}));
		await sleep(400);
		const started = Date.now();
		interruptCalls();
		const error = await rejectionOf(cell);
		expect(Date.now() - started).toBeLessThan(100);
		expect(error).toMatchObject({code: 'PR4E_ERR_INTERRUPTED', operation: 'retrieve'});
		// As any failure part way, it keeps what did arrive.
		expect(error.partial?.bytesReceived).toBeGreaterThan(0);
	});

	test('rejects a sendall waiting for a peer that takes nothing', async () => {
		const server = await startTcpServer((peer) => peer.pause());
		const cell = asCell(async () => {
			const socket = await Socket.connect(server.host, server.port);
			try {
				await socket.sendall(Buffer.alloc(64 * 1024 * 1024));
			} finally {
				await socket.close();
			}
		});
		setTimeout(interruptCalls, 200);
		expect(await rejectionOf(cell)).toMatchObject({code: 'PR4E_ERR_INTERRUPTED', operation: 'sendall', when: 'pending'});
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
