import {readFileSync} from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import {describe, expect, onTestFinished, test} from 'vitest';
import {type ConnectionLog, type Replica, type ReplicaOptions, splitResponse} from '../../lib/index';
import {waitUntil} from '../../scripts/support/wait-until.js';
import {CHAPTER_REQUEST, RUN_1_HEADER} from '../helpers/chapter';
import {rawExchange, useReplica} from '../helpers/replica';

const COVER = readFileSync(path.join(__dirname, '..', '..', 'lib', 'replica', 'data', 'cover3.jpg'));

/**
 * A greedy client: asks for the 8 MiB /flow-control.bin and never reads, so that the replica's send buffer
 * and its own receive buffer fill and stay full. Destroyed when the test finishes.
 */
function greedyClient(port: number): net.Socket {
	const socket: net.Socket = net.connect({host: '127.0.0.1', port}, () => socket.write('GET /flow-control.bin HTTP/1.0\r\n\r\n'));
	socket.pause();
	socket.on('error', () => {});
	onTestFinished(() => {
		socket.destroy();
	});
	return socket;
}

/** A replica whose closed connections' logs are collected, to wait on (the log is final once closed). */
async function replicaWithClosedLogs(options: ReplicaOptions): Promise<{replica: Replica; closed: ConnectionLog[]}> {
	const closed: ConnectionLog[] = [];
	const replica = await useReplica({...options, onConnectionClosed: (log) => closed.push(log)});
	return {replica, closed};
}

/** The bytes the kernel still holds to send from local port `port` (/proc/net/tcp's tx_queue), all connections together. */
function unsentFromPort(port: number): number {
	const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
	return readFileSync('/proc/net/tcp', 'utf8')
		.split('\n')
		.slice(1)
		.map((line) => line.trim().split(/\s+/))
		.filter((fields) => fields[1]?.endsWith(`:${hexPort}`))
		.reduce((sum, fields) => sum + Number.parseInt(fields[4]?.split(':')[0] ?? '0', 16), 0);
}

function expectTheWholePicture(response: Buffer): void {
	const split = splitResponse(response);
	expect(split.headerText).toBe(RUN_1_HEADER);
	expect(split.body.equals(COVER)).toBe(true);
}

describe('the connection cap (maxConnections)', () => {
	test('holds 3 clients that do not read; a 4th gets 503 at once; once one leaves, a download gets the whole picture', async () => {
		const {replica, closed} = await replicaWithClosedLogs({link: 'fast', maxConnections: 3});
		const greedy = [greedyClient(replica.port), greedyClient(replica.port), greedyClient(replica.port)];
		const sending = (): ConnectionLog[] => replica.connections.filter((log) => log.status === 200 && log.bytesSent > 0);
		await waitUntil(() => sending().length === 3, {timeoutMs: 10_000, what: 'three greedy clients being served'});

		const refused = splitResponse(await rawExchange(replica.port, CHAPTER_REQUEST));
		expect(refused.status).toMatchObject({statusCode: 503, reasonPhrase: 'Service Unavailable'});
		expect(refused.headers.get('retry-after')).toBe('5');
		expect(refused.headers.get('connection')).toBe('close');
		expect(refused.bodyLengthMatches).toBe(true);
		expect(refused.body.toString('latin1')).toContain('<h1>Service Unavailable</h1>');
		expect(replica.connections.filter((log) => log.status === 503)).toEqual([expect.objectContaining({outcome: 'refused', requestLine: ''})]);

		greedy[0]!.destroy();
		await waitUntil(() => closed.some((log) => log.status === 200), {timeoutMs: 10_000, what: 'the first greedy client to be gone'});
		expect(closed.find((log) => log.status === 200)?.outcome).toBe('client-closed');
		expectTheWholePicture(await rawExchange(replica.port, CHAPTER_REQUEST));
		// The other two are still held, their responses unfinished.
		expect(sending().filter((log) => log.outcome === 'in-progress')).toHaveLength(2);
	});

	test('frees the slot of a client that takes nothing once stallTimeoutMs drops it', async () => {
		const {replica, closed} = await replicaWithClosedLogs({link: 'fast', maxConnections: 1, stallTimeoutMs: 300});
		greedyClient(replica.port);
		await waitUntil(() => closed.length === 1, {timeoutMs: 10_000, what: 'the greedy client to be dropped'});
		expect(closed[0]).toMatchObject({status: 200, outcome: 'stalled'});
		// Dropped with a reset: the kernel lets go of the megabytes it could not send at once, rather than
		// keeping them in an orphaned connection for as long as the client lives.
		await waitUntil(() => unsentFromPort(replica.port) === 0, {timeoutMs: 5000, what: 'the kernel to drop the unsent bytes'}).catch(() => {});
		expect(unsentFromPort(replica.port)).toBe(0);
		expectTheWholePicture(await rawExchange(replica.port, CHAPTER_REQUEST));
	});

	test('lets every refused client go, reading and closing or not, so that the replica goes idle', async () => {
		const {replica, closed} = await replicaWithClosedLogs({link: 'fast', maxConnections: 1});
		const held = greedyClient(replica.port);
		await waitUntil(() => replica.connections.length === 1, {timeoutMs: 10_000, what: 'the first client to be served'});
		// Refused clients that never read their 503 nor close are dropped after a short linger of their own.
		for (let i = 0; i < 5; i++) greedyClient(replica.port);
		await waitUntil(() => closed.length === 5, {timeoutMs: 20_000, what: 'five refused clients to be let go'});
		expect(closed.map((log) => log.outcome)).toEqual(Array(5).fill('refused'));
		held.destroy();
		await replica.idle();
	});
});
