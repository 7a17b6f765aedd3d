import {readFileSync} from 'node:fs';

/** The three sizes Linux allows one TCP socket's buffer, in bytes. */
export interface BufferLimits {
	/** The least the kernel leaves a socket even when memory is short. */
	readonly min: number;
	/** What every new connection starts with (`rb` or `tb` in `ss -m`, before any tuning). */
	readonly default: number;
	/** The most autotuning may grow it to (a program's own SO_RCVBUF/SO_SNDBUF is capped elsewhere). */
	readonly max: number;
}

/** How this machine sizes TCP buffers: what the flow-control lesson's "going deeper" part shows. */
export interface TcpBufferSettings {
	/** Receive buffers, from /proc/sys/net/ipv4/tcp_rmem: where arrived bytes wait for recv. */
	readonly receive: BufferLimits;
	/** Send buffers, from /proc/sys/net/ipv4/tcp_wmem: where sent bytes wait to be acknowledged. */
	readonly send: BufferLimits;
	/**
	 * Whether the kernel grows a receive buffer for a reader that keeps up (tcp_moderate_rcvbuf), from the
	 * default towards the max; undefined if the setting cannot be read.
	 */
	readonly autotuning: boolean | undefined;
}

const SETTINGS = '/proc/sys/net/ipv4';

/**
 * This machine's TCP buffer sizes, read from Linux's /proc/sys/net/ipv4 (the files `sysctl net.ipv4.tcp_rmem`
 * shows); undefined where they cannot be read (not Linux). Each connection's own sizes are in `tcpInfo`.
 */
export function tcpBufferSettings(): TcpBufferSettings | undefined {
	const receive = readLimits('tcp_rmem');
	const send = readLimits('tcp_wmem');
	if (!receive || !send) return undefined;
	const moderate = readSetting('tcp_moderate_rcvbuf')?.trim();
	return {receive, send, autotuning: moderate === undefined || moderate === '' ? undefined : moderate !== '0'};
}

function readLimits(name: string): BufferLimits | undefined {
	const numbers = readSetting(name)?.trim().split(/\s+/).map(Number);
	if (numbers?.length !== 3 || !numbers.every(Number.isSafeInteger)) return undefined;
	const [min, defaultSize, max] = numbers as [number, number, number];
	return {min, default: defaultSize, max};
}

function readSetting(name: string): string | undefined {
	try {
		return readFileSync(`${SETTINGS}/${name}`, 'latin1');
	} catch {
		return undefined;
	}
}
