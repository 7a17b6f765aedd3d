/**
 * A connection's queues in the operating system (Recv-Q, Send-Q). Named for the socket, not the kernel: in
 * this project "kernel" is Jupyter's (scripts/notebook-runner/kernel.mts), and the OS's is "the system's".
 */
import {readFileSync} from 'node:fs';

/** What the operating system holds for one TCP connection, in bytes. */
export interface SocketQueues {
	/** Received and acknowledged, waiting for the program to call recv (Recv-Q in `ss`). */
	readonly receiveQueue: number;
	/** Handed to the OS by the program, not yet acknowledged by the other side (Send-Q in `ss`). */
	readonly sendQueue: number;
}

/** Every TCP connection's queues at one moment, looked up by local and remote port. */
export interface SocketQueueTable {
	get(localPort: number, remotePort: number): SocketQueues | undefined;
}

/**
 * The operating system's queues for the connection from `localPort` to `remotePort`, read from Linux's
 * /proc/net/tcp and /proc/net/tcp6 as `ss -tn` reads them; undefined where there is no such file (not
 * Linux) or no such connection. This is how the lesson shows where unread bytes wait.
 */
export function socketQueues(localPort: number, remotePort: number): SocketQueues | undefined {
	return socketQueueTable().get(localPort, remotePort);
}

/** All connections' queues in one reading, for a look at both ends of a loopback connection at once. */
export function socketQueueTable(): SocketQueueTable {
	const queues = new Map<string, SocketQueues>();
	for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
		let text: string;
		try {
			text = readFileSync(table, 'latin1');
		} catch {
			continue;
		}
		for (const line of text.split('\n').slice(1)) {
			// sl local_address rem_address st tx_queue:rx_queue ...; addresses end in :PORT, in hex.
			const [, local, remote, , hexQueues] = line.trim().split(/\s+/);
			if (!local || !remote || !hexQueues) continue;
			const [sendQueue, receiveQueue] = hexQueues.split(':').map((hex) => Number.parseInt(hex, 16));
			const key = `${portOf(local)}>${portOf(remote)}`;
			if (!queues.has(key)) queues.set(key, {receiveQueue: receiveQueue ?? 0, sendQueue: sendQueue ?? 0});
		}
	}
	return {get: (localPort, remotePort) => queues.get(`${localPort}>${remotePort}`)};
}

function portOf(address: string): number {
	return Number.parseInt(address.slice(address.lastIndexOf(':') + 1), 16);
}
