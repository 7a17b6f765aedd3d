import {spawn} from 'node:child_process';
import * as net from 'node:net';
import {onTestFinished} from 'vitest';
import {socketQueues} from '../../lib/client/socket-queues';
import {waitUntil} from '../../scripts/support/wait-until.js';

/** The listener's backlog: Linux's accept queue holds one more connection than this. */
const BACKLOG = 1;

// A child process whose event loop is blocked right after listen() with a backlog of 1: the kernel
// completes handshakes into the tiny accept queue and then drops further SYNs, so a connect hangs.
const BLOCKED_LISTENER = `
const server = require('node:net').createServer();
server.listen(0, '127.0.0.1', ${BACKLOG}, () => {
	process.stdout.write(server.address().port + '\\n');
	Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
});
`;

/**
 * Resolves to a loopback port on which a new connection attempt hangs (its SYNs are dropped), for
 * testing connect timeouts without the internet. Cleaned up when the test finishes.
 */
export async function startUnresponsiveListener(): Promise<{host: string; port: number}> {
	const child = spawn(process.execPath, ['-e', BLOCKED_LISTENER], {stdio: ['ignore', 'pipe', 'inherit']});
	const fillers: net.Socket[] = [];
	onTestFinished(() => {
		for (const socket of fillers) socket.destroy();
		child.kill('SIGKILL');
	});
	const port = await new Promise<number>((resolve, reject) => {
		child.stdout.once('data', (line: Buffer) => resolve(Number(line.toString().trim())));
		child.once('exit', (code) => reject(new Error(`blocked listener exited early with code ${code}`)));
	});
	// Fill the accept queue so the next SYN is dropped. Linux holds backlog + 1 connections; the listener's
	// row in /proc/net/tcp (remote port 0) shows how many wait, as its rx queue.
	const acceptQueueFull = (): boolean => (socketQueues(port, 0)?.receiveQueue ?? 0) > BACKLOG;
	for (let i = 0; i < 4 && !acceptQueueFull(); i++) {
		const socket = net.connect({host: '127.0.0.1', port});
		let connected = false;
		socket.once('connect', () => (connected = true));
		socket.on('error', () => {});
		fillers.push(socket);
		await waitUntil(() => connected || acceptQueueFull(), {timeoutMs: 5000, intervalMs: 5, what: `connection ${i + 1} to the blocked listener`});
	}
	if (!acceptQueueFull()) throw new Error(`the blocked listener's accept queue is not full after ${fillers.length} connections`);
	return {host: '127.0.0.1', port};
}
