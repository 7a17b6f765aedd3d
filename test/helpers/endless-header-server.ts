import {startTcpServer, type TestServer} from './tcp-server';

/** A server whose header never ends, and what it saw of the one client that connected and sent a request. */
export interface EndlessHeaderServer extends TestServer {
	/** Resolves when the client that sent a request has closed its connection. */
	readonly clientClosed: Promise<void>;
}

/**
 * Starts a hostile server: to a request it answers a status line and then one header line that never ends
 * (spaces, as long as the client reads, paced by TCP flow control, so it never piles up in memory here).
 * Only a client that stops reading at some limit and closes gets out. Closed when the test finishes.
 */
export async function startEndlessHeaderServer(): Promise<EndlessHeaderServer> {
	let clientClosed: () => void = () => {};
	const closed = new Promise<void>((resolve) => (clientClosed = resolve));
	const spaces = Buffer.alloc(16 * 1024, 0x20);
	const server = await startTcpServer((socket, self) => {
		socket.once('data', (request: Buffer) => {
			self.requests.push(request);
			socket.on('close', () => clientClosed());
			const pump = (): void => {
				while (!socket.destroyed && socket.write(spaces));
			};
			socket.on('drain', pump);
			socket.write('HTTP/1.1 200 OK\r\nX-Endless: ');
			pump();
		});
	});
	return Object.assign(server, {clientClosed: closed});
}
