import {spawn} from 'node:child_process';
import * as net from 'node:net';
import {onTestFinished} from 'vitest';

// A child process whose event loop is blocked right after listen() with a backlog of 1: the kernel
// completes handshakes into the tiny accept queue and then drops further SYNs, so a connect hangs.
const BLOCKED_LISTENER = `
const server = require('node:net').createServer();
server.listen(0, '127.0.0.1', 1, () => {
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
	// Fill the accept queue (backlog + 1 connections on Linux) so the next SYN is dropped.
	for (let i = 0; i < 4; i++) {
		const socket = net.connect({host: '127.0.0.1', port});
		socket.on('error', () => {});
		fillers.push(socket);
		await new Promise<void>((resolve) => {
			socket.once('connect', () => resolve());
			setTimeout(resolve, 300);
		});
	}
	return {host: '127.0.0.1', port};
}
