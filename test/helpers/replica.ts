import * as net from 'node:net';
import {onTestFinished} from 'vitest';
import {type Replica, type ReplicaOptions, startReplica} from '../../lib/index';

/** Starts a replica on 127.0.0.1, port 0, closed when the current test finishes. */
export async function useReplica(options: ReplicaOptions = {}): Promise<Replica> {
	const replica = await startReplica(options);
	onTestFinished(() => replica.close());
	return replica;
}

/**
 * Sends `request` as raw bytes and resolves with everything the server sent until it closed. Fails
 * after `timeoutMs`, so a server that hangs fails the test instead of stalling it.
 */
export function rawExchange(port: number, request: string | Buffer, timeoutMs = 20_000): Promise<Buffer> {
	return new Promise((resolve, reject) => {
		const socket = net.connect({host: '127.0.0.1', port});
		const pieces: Buffer[] = [];
		const timer = setTimeout(() => {
			socket.destroy();
			reject(new Error(`no close from the server within ${timeoutMs} ms; got ${Buffer.concat(pieces).length} bytes`));
		}, timeoutMs);
		socket.on('connect', () => socket.write(request));
		socket.on('data', (data: Buffer) => pieces.push(data));
		socket.on('error', reject);
		socket.on('close', () => {
			clearTimeout(timer);
			resolve(Buffer.concat(pieces));
		});
	});
}

/**
 * Sends `request` and at once shuts down its own sending side (a half-close, as `curl` and scanners may),
 * then resolves with everything the server sent until it closed.
 */
export function halfClosedExchange(port: number, request: string | Buffer): Promise<Buffer> {
	return new Promise((resolve, reject) => {
		const pieces: Buffer[] = [];
		const socket: net.Socket = net.connect({host: '127.0.0.1', port}, () => socket.end(request));
		socket.on('data', (data: Buffer) => pieces.push(data));
		socket.on('error', reject);
		socket.on('close', () => resolve(Buffer.concat(pieces)));
	});
}
