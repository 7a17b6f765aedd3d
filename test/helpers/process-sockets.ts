/** The sockets processes have open, as Linux lists them in /proc: for tests of who can reach a kernel. */
import {readdirSync, readFileSync, readlinkSync} from 'node:fs';

/** The ids of the live processes in process group `pgid` (a kernel and whatever it started). */
export function processGroup(pgid: number): number[] {
	return readdirSync('/proc')
		.filter((entry) => /^\d+$/.test(entry))
		.filter((pid) => {
			try {
				const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
				// The fields after the command name (in parentheses, which may hold spaces): state, ppid, pgrp.
				return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]) === pgid;
			} catch {
				return false; // It ended while we looked.
			}
		})
		.map(Number);
}

/** The inodes of the sockets the processes `pids` have open. */
export function socketInodes(pids: readonly number[]): Set<string> {
	const inodes = new Set<string>();
	for (const pid of pids) {
		try {
			for (const fd of readdirSync(`/proc/${pid}/fd`)) {
				const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
				if (inode) inodes.add(inode);
			}
		} catch {
			// The process or the descriptor went away while we looked.
		}
	}
	return inodes;
}

/** The TCP sockets (IPv4 and IPv6) among `inodes`: their local address and state as /proc/net/tcp shows them. */
export function tcpSockets(inodes: Set<string>): Array<{local: string; listening: boolean}> {
	return [...rowsOf('tcp', 9, inodes), ...rowsOf('tcp6', 9, inodes)].map((fields) => ({local: fields[1] ?? '', listening: fields[3] === '0A'}));
}

/** The paths of the listening Unix sockets among `inodes` (flag __SO_ACCEPTCON, 00010000), sorted. */
export function unixListeners(inodes: Set<string>): string[] {
	return rowsOf('unix', 6, inodes)
		.filter((fields) => fields[3] === '00010000')
		.map((fields) => fields[7] ?? '')
		.sort();
}

/** The rows of /proc/net/`table` whose inode (field `inodeField`) is one of `inodes`, split into fields. */
function rowsOf(table: string, inodeField: number, inodes: Set<string>): string[][] {
	const rows = readFileSync(`/proc/net/${table}`, 'latin1').trim().split('\n').slice(1);
	return rows.map((row) => row.trim().split(/\s+/)).filter((fields) => inodes.has(fields[inodeField] ?? ''));
}
