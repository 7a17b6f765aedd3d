import {readFileSync} from 'node:fs';

/** What the operating system holds for one TCP connection, in bytes. */
export interface KernelQueues {
	/** Received and acknowledged, waiting for the program to call recv (Recv-Q in `ss`). */
	readonly receiveQueue: number;
	/** Handed to the OS by the program, not yet acknowledged by the other side (Send-Q in `ss`). */
	readonly sendQueue: number;
}

/**
 * The kernel's queues for the connection from `localPort` to `remotePort`, read from Linux's
 * /proc/net/tcp and /proc/net/tcp6 as `ss -tn` reads them; undefined where there is no such file (not
 * Linux) or no such connection. This is how the lesson shows where unread bytes wait.
 */
export function kernelQueues(localPort: number, remotePort: number): KernelQueues | undefined {
	for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
		let text: string;
		try {
			text = readFileSync(table, 'latin1');
		} catch {
			continue;
		}
		for (const line of text.split('\n').slice(1)) {
			// sl local_address rem_address st tx_queue:rx_queue ...; addresses end in :PORT, in hex.
			const [, local, remote, , queues] = line.trim().split(/\s+/);
			if (!local || !remote || !queues) continue;
			if (portOf(local) !== localPort || portOf(remote) !== remotePort) continue;
			const [sendQueue, receiveQueue] = queues.split(':').map((hex) => Number.parseInt(hex, 16));
			return {receiveQueue: receiveQueue ?? 0, sendQueue: sendQueue ?? 0};
		}
	}
	return undefined;
}

function portOf(address: string): number {
	return Number.parseInt(address.slice(address.lastIndexOf(':') + 1), 16);
}
