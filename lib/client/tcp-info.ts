import {execFile} from 'node:child_process';
import {isIP} from 'node:net';
import {release} from 'node:os';
import {portNumber} from '../options';

/** How long one end was held back, since the connection began. */
export interface LimitedTime {
	/** In milliseconds. */
	readonly ms: number;
	/** As a percent of the time this end had bytes to send (0 to 100). */
	readonly percent: number;
}

/**
 * What Linux knows about one TCP connection, seen from one end (`ss -tinm` reads it from the kernel's
 * TCP_INFO). All sizes are in bytes. A field `ss` prints only when it is not 0 is 0 when it printed none.
 */
export interface TcpInfo {
	readonly localAddress: string;
	readonly localPort: number;
	readonly remoteAddress: string;
	readonly remotePort: number;
	/**
	 * Bytes that have arrived and been acknowledged but that the program has not taken with recv yet (Recv-Q).
	 * A reader that sleeps lets this grow; the next recv can return this many at once.
	 */
	readonly receiveQueue: number;
	/** Bytes the program handed to the OS that the other end has not acknowledged yet, sent or not (Send-Q). */
	readonly sendQueue: number;
	/**
	 * The most data bytes one segment carries when this end sends (`mss`). About 1460 on a real network (a
	 * 1500-byte Ethernet packet less 40 bytes of IP and TCP headers); far more on loopback, whose MTU is
	 * 65536: 32741 or 32768 on a fresh connection (Linux starts at half the largest window the other end
	 * has offered), up to 65483. It can change while the connection runs.
	 */
	readonly mss: number;
	/** The largest segment this end told the other it can receive (`advmss`): 65483 on loopback, 1448 or 1460 on Ethernet. */
	readonly advertisedMss: number;
	/**
	 * The kernel's estimate of the segments arriving from the other end, from the largest it has seen
	 * (`rcvmss`); 536, TCP's smallest default, until data arrives. It decides when to acknowledge.
	 */
	readonly receiveMss: number;
	/** The largest IP packet, headers included, that fits all the way to the other end (`pmtu`): 1500 on Ethernet, 65535 on loopback. */
	readonly pathMtu: number;
	/**
	 * The most memory the kernel will spend on this connection's arrived bytes (`rb` in `skmem`). It counts
	 * bookkeeping too, so fewer data bytes fit; the window this end advertises comes from it. It starts at
	 * tcp_rmem's default (see `tcpBufferSettings`) and autotuning grows it for a reader that keeps up.
	 */
	readonly receiveBuffer: number;
	/**
	 * The most memory for bytes this end has sent and not had acknowledged, or not sent yet (`tb` in `skmem`).
	 * When it is full a write must wait: Python's sendall blocks, Node keeps the rest in the program.
	 */
	readonly sendBuffer: number;
	/**
	 * How many more bytes the other end last said it can take: the window it advertised (`snd_wnd`). 0 means
	 * its receive buffer is full, so flow control stops this end until the reader there calls recv.
	 * undefined where the machine cannot tell (ss before iproute2 5.18, Linux before 5.4).
	 */
	readonly sendWindow: number | undefined;
	/** How many bytes the reader takes per round trip, as the kernel measures it to size receiveBuffer (`rcv_space`). */
	readonly receiveSpace: number;
	/**
	 * How long this end had bytes to send but had to wait because the other end's window was full: flow
	 * control at work (`rwnd_limited`). undefined if that never happened.
	 */
	readonly receiveWindowLimited: LimitedTime | undefined;
	/** How long this end had to wait because its own send buffer was full (`sndbuf_limited`); undefined if never. */
	readonly sendBufferLimited: LimitedTime | undefined;
	/**
	 * The algorithm that paces this end's sending to what the network can carry, e.g. `cubic` or `bbr`:
	 * congestion control, which guards the network, as flow control guards the reader. undefined if not shown.
	 */
	readonly congestionControl: string | undefined;
}

/** Options for `tcpInfo`. */
export interface TcpInfoOptions {
	/**
	 * The other end's IP address, for a server whose clients on different machines may use the same port.
	 * Default: any address.
	 */
	readonly remoteAddress?: string;
}

/** Far beyond a call's usual 15 to 30 ms, for a loaded machine; a stuck ss must not hang a cell. */
const SS_TIMEOUT_MS = 5000;
// Words ss prints before the congestion control's name (options the connection uses), and words it prints
// before a value of their own: neither is the name.
const OPTION_WORDS = new Set(['ts', 'sack', 'ecn', 'ecnseen', 'fastopen']);
const WORDS_WITH_VALUE = new Set(['send', 'pacing_rate', 'delivery_rate']);

/**
 * What the kernel knows about the established TCP connection of this machine from `localPort` to
 * `remotePort`, as iproute2's `ss -tinm` shows it, so a learner can explain their own recv sizes.
 * Resolves to undefined where there is no `ss`, off Linux, or when there is no such connection; rejects
 * only for a port that is not 1 to 65535 or a remoteAddress that is not an IP address.
 *
 * It runs ss as a child process and waits for it asynchronously: the replica a notebook talks to runs in the
 * same process, and its paced writes should go on meanwhile. One call takes 15 to 30 ms here, about as long
 * as a short sleep between two recvs; starting the process holds the event loop for 7 to 25 ms of that
 * (longer in a larger process), where a synchronous call would hold it for all of it.
 */
export async function tcpInfo(localPort: number, remotePort: number, options: TcpInfoOptions = {}): Promise<TcpInfo | undefined> {
	portNumber('localPort', localPort);
	portNumber('remotePort', remotePort);
	const {remoteAddress} = options;
	if (remoteAddress !== undefined && (typeof remoteAddress !== 'string' || isIP(remoteAddress) === 0)) {
		throw new RangeError(`remoteAddress must be an IP address such as 127.0.0.1, got ${JSON.stringify(remoteAddress)}`);
	}
	if (process.platform !== 'linux') return undefined;
	// Numeric (-n): otherwise ss names well-known ports ("http" for 80) and the ports could not be compared.
	const filter = `( sport = :${localPort} and dport = :${remotePort} )`;
	const [output, reportsWindow] = await Promise.all([runSs(['-tinmnH', 'state', 'established', filter]), sendWindowReported()]);
	if (output === undefined) return undefined;
	return parseTcpInfo(output, reportsWindow).find((row) => row.localPort === localPort && row.remotePort === remotePort && (remoteAddress === undefined || sameAddress(row.remoteAddress, remoteAddress)));
}

/**
 * Every connection in the output of `ss -tinmH state established`, in order. `sendWindowShown` says whether
 * this ss and kernel report snd_wnd at all: ss leaves it out when it is 0, which then means 0.
 */
export function parseTcpInfo(output: string, sendWindowShown: boolean): TcpInfo[] {
	const rows: Array<{head: string; details: string[]}> = [];
	for (const line of output.split('\n')) {
		// A connection's first line starts at the margin; its details follow on indented lines.
		if (/^\s/.test(line)) rows[rows.length - 1]?.details.push(line);
		else if (line !== '') rows.push({head: line, details: []});
	}
	return rows.flatMap(({head, details}) => {
		const row = parseRow(head, details.join(' '), sendWindowShown);
		return row ? [row] : [];
	});
}

function parseRow(head: string, details: string, sendWindowShown: boolean): TcpInfo | undefined {
	// Recv-Q Send-Q Local:Port Peer:Port (no State column: the query names the state).
	const [receiveQueue, sendQueue, local, peer] = head.trim().split(/\s+/);
	if (receiveQueue === undefined || sendQueue === undefined || local === undefined || peer === undefined) return undefined;
	const localEnd = parseEnd(local);
	const remoteEnd = parseEnd(peer);
	if (!localEnd || !remoteEnd) return undefined;
	const values = new Map<string, string>();
	let congestionControl: string | undefined;
	const words = details.trim().split(/\s+/);
	for (let index = 0; index < words.length; index += 1) {
		const word = words[index]!;
		const colon = word.indexOf(':');
		if (colon > 0) {
			values.set(word.slice(0, colon), word.slice(colon + 1));
		} else if (WORDS_WITH_VALUE.has(word)) {
			index += 1;
		} else if (congestionControl === undefined && values.size <= 1 && word !== '' && !OPTION_WORDS.has(word)) {
			// The name comes after skmem and the options, before the first other name:value (wscale, rto).
			congestionControl = word;
		}
	}
	const memory = values.get('skmem') ?? '';
	const number = (name: string): number => Number(values.get(name) ?? 0);
	return {
		localAddress: localEnd.address,
		localPort: localEnd.port,
		remoteAddress: remoteEnd.address,
		remotePort: remoteEnd.port,
		receiveQueue: Number(receiveQueue),
		sendQueue: Number(sendQueue),
		mss: number('mss'),
		advertisedMss: number('advmss'),
		receiveMss: number('rcvmss'),
		pathMtu: number('pmtu'),
		receiveBuffer: Number(/\brb(\d+)/.exec(memory)?.[1] ?? 0),
		sendBuffer: Number(/\btb(\d+)/.exec(memory)?.[1] ?? 0),
		sendWindow: values.has('snd_wnd') ? number('snd_wnd') : sendWindowShown ? 0 : undefined,
		receiveSpace: number('rcv_space'),
		receiveWindowLimited: parseLimited(values.get('rwnd_limited')),
		sendBufferLimited: parseLimited(values.get('sndbuf_limited')),
		congestionControl,
	};
}

/** `127.0.0.1:80`, `[::1]:80`, `[fe80::1]%eth0:22`: the address (no brackets, no interface) and the port. */
function parseEnd(text: string): {address: string; port: number} | undefined {
	const colon = text.lastIndexOf(':');
	const port = Number(text.slice(colon + 1));
	if (colon < 1 || !Number.isInteger(port)) return undefined;
	const address = text
		.slice(0, colon)
		.replace(/%[^\]]*$/, '')
		.replace(/^\[(.*)\]$/, '$1');
	return {address, port};
}

/** `472ms(100.0%)` */
function parseLimited(text: string | undefined): LimitedTime | undefined {
	const match = text === undefined ? null : /^(\d+)ms\(([\d.]+)%\)$/.exec(text);
	return match ? {ms: Number(match[1]), percent: Number(match[2])} : undefined;
}

function sameAddress(shown: string, wanted: string): boolean {
	// A dual-stack server sees an IPv4 client as ::ffff:127.0.0.1; the learner may pass either spelling.
	const plain = (address: string): string => address.toLowerCase().replace(/^::ffff:(?=\d+\.)/, '');
	return plain(shown) === plain(wanted);
}

/** ss's output, or undefined where it cannot run (not installed, no netlink, too slow): never an error. */
function runSs(args: readonly string[]): Promise<string | undefined> {
	return new Promise((resolve) => {
		execFile('ss', args, {encoding: 'latin1', timeout: SS_TIMEOUT_MS}, (error, stdout) => resolve(error ? undefined : stdout));
	});
}

let sendWindowCheck: Promise<boolean> | undefined;

/**
 * Whether ss shows snd_wnd here: Linux added it to TCP_INFO in 5.4 and iproute2 prints it from 5.18 on
 * (https://lore.kernel.org/netdev/01806a230fab4a6122f407fe96486cee2f6318dd.1646317132.git.dcaratti@redhat.com/).
 * Asked once per process, beside the first query, so it costs no extra wait.
 */
function sendWindowReported(): Promise<boolean> {
	sendWindowCheck ??= runSs(['-V']).then((version) => atLeast(release(), 5, 4) && atLeast(/iproute2-(\d+\.\d+)/.exec(version ?? '')?.[1] ?? '', 5, 18));
	return sendWindowCheck;
}

/** Whether a version such as `6.1.0` or `6.18.44-fc` is at least major.minor. */
function atLeast(version: string, major: number, minor: number): boolean {
	const [actualMajor, actualMinor] = version.split('.').map((part) => Number.parseInt(part, 10));
	if (actualMajor === undefined || actualMinor === undefined || Number.isNaN(actualMajor) || Number.isNaN(actualMinor)) return false;
	return actualMajor > major || (actualMajor === major && actualMinor >= minor);
}
