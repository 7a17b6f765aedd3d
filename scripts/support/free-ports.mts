import * as net from 'node:net';

/**
 * `count` loopback ports that were free a moment ago (each bound to port 0, noted, released). Another
 * program could take one in between; for the servers started here (nginx, Jupyter, the classroom's hub)
 * the risk is accepted.
 */
export async function freePorts(count: number): Promise<number[]> {
	const servers = await Promise.all(
		Array.from(
			{length: count},
			() =>
				new Promise<net.Server>((resolve, reject) => {
					const server = net.createServer();
					server.once('error', reject);
					server.listen(0, '127.0.0.1', () => resolve(server));
				}),
		),
	);
	const ports = servers.map((server) => (server.address() as net.AddressInfo).port);
	await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
	return ports;
}

/** One loopback port that was free a moment ago (see freePorts). */
export async function freePort(): Promise<number> {
	return (await freePorts(1))[0]!;
}
