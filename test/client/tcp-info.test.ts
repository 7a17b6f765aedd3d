import {spawnSync} from 'node:child_process';
import * as net from 'node:net';
import {setTimeout as sleep} from 'node:timers/promises';
import {describe, expect, onTestFinished, test} from 'vitest';
import {Socket, tcpBufferSettings, tcpInfo, type TcpInfo} from '../../lib/index';
import {parseTcpInfo} from '../../lib/client/tcp-info';
import {waitUntil} from '../../scripts/support/wait-until.js';
import {patternBytes} from '../helpers/chapter';
import {rejectionOf} from '../helpers/rejection';
import {startTcpServer} from '../helpers/tcp-server';

const settings = tcpBufferSettings();
// ss answers only on Linux with iproute2 installed (and netlink allowed); elsewhere tcpInfo only gives undefined.
const ssWorks = process.platform === 'linux' && spawnSync('ss', ['-tnH', 'state', 'established', '( sport = :1 )']).status === 0;

/** A raw client of `server`, destroyed when the test finishes. */
async function rawClient(server: {host: string; port: number}): Promise<net.Socket> {
	const client = net.connect(server.port, server.host);
	client.on('error', () => {});
	onTestFinished(() => void client.destroy());
	await new Promise((resolve) => client.once('connect', resolve));
	return client;
}

/** Takes every byte as it arrives (a flowing stream reads ahead as fast as it can) until `total` have come. */
function readAsFastAsItCan(client: net.Socket, total: number): Promise<void> {
	let received = 0;
	return new Promise((resolve) =>
		client.on('data', (data: Buffer) => {
			received += data.length;
			if (received >= total) resolve();
		}),
	);
}

/** Waits until `tcpInfo` of the connection shows what `check` wants, and returns that reading. */
function infoWhen(localPort: number, remotePort: number, check: (info: TcpInfo) => boolean, what: string): Promise<TcpInfo> {
	return waitUntil(
		async () => {
			const info = await tcpInfo(localPort, remotePort);
			return info && check(info) ? info : undefined;
		},
		{timeoutMs: 10_000, intervalMs: 20, what},
	);
}

describe.skipIf(!ssWorks)('tcpInfo on a loopback connection', () => {
	test("gives each end its own row: the client's view and the server's view", async () => {
		let serverSide: net.Socket | undefined;
		const server = await startTcpServer((socket) => (serverSide = socket));
		const client = await rawClient(server);
		await waitUntil(() => serverSide, {timeoutMs: 5000, what: 'the server to accept'});
		const clientView = await tcpInfo(client.localPort!, server.port);
		const serverView = await tcpInfo(server.port, client.localPort!, {remoteAddress: '127.0.0.1'});
		expect(clientView).toMatchObject({localAddress: '127.0.0.1', localPort: client.localPort, remoteAddress: '127.0.0.1', remotePort: server.port});
		expect(serverView).toMatchObject({localPort: server.port, remotePort: client.localPort});
		for (const view of [clientView!, serverView!]) {
			expect(view.mss).toBeGreaterThan(0);
			// Loopback's MTU is 65536, so one segment can carry far more than Ethernet's 1460.
			expect(view.mss).toBeGreaterThan(1460);
			expect(view.advertisedMss).toBeGreaterThan(view.receiveMss);
			expect(view.pathMtu).toBeGreaterThan(1500);
			expect(view.sendBuffer).toBeGreaterThan(0);
			expect(view.receiveSpace).toBeGreaterThan(0);
			expect(view.congestionControl).toMatch(/^[a-z0-9_-]+$/);
			expect(view.receiveWindowLimited).toBeUndefined();
		}
	});

	test("starts each end's receive buffer at tcp_rmem's default", async () => {
		const server = await startTcpServer(() => {});
		const client = await rawClient(server);
		const info = await tcpInfo(client.localPort!, server.port);
		expect(info?.receiveBuffer).toBe(settings?.receive.default);
	});

	test('shows bytes the reader has not taken in Recv-Q, and the window the reader still offers', async () => {
		const sent = patternBytes(10_000);
		// Held open: a FIN would count as one more byte in the queue.
		const server = await startTcpServer((socket) => void socket.write(sent));
		const socket = await Socket.connect(server.host, server.port);
		onTestFinished(() => socket.close());
		const info = await infoWhen(socket.localPort!, server.port, (reading) => reading.receiveQueue === sent.length, 'the bytes to wait in Recv-Q');
		expect(info.sendQueue).toBe(0);
		const serverView = await tcpInfo(server.port, socket.localPort!);
		expect(serverView?.sendQueue).toBe(0);
		expect(serverView?.sendWindow).toBeGreaterThan(0);
		expect(serverView?.receiveWindowLimited).toBeUndefined();
	});

	// Measured here: rwnd_limited shows after about 15 ms and snd_wnd drops to 0 (ss leaves it out) after
	// about 60 ms, in 10 runs of 10; both are waited for, not timed.
	test("shows a sender whose reader never reads stopped by flow control: the peer's window 0, rwnd_limited", async () => {
		const server = await startTcpServer((socket) => void socket.pause());
		const client = await rawClient(server);
		client.write(new Uint8Array(8 * 1024 * 1024));
		const sender = await infoWhen(client.localPort!, server.port, (info) => info.sendWindow === 0 && info.receiveWindowLimited !== undefined, 'the window to close on the sender');
		expect(sender.sendQueue).toBeGreaterThan(0);
		expect(sender.receiveWindowLimited!.ms).toBeGreaterThan(0);
		expect(sender.receiveWindowLimited!.percent).toBeGreaterThan(0);
		expect(sender.receiveWindowLimited!.percent).toBeLessThanOrEqual(100);
		const reader = await tcpInfo(server.port, client.localPort!);
		expect(reader!.receiveQueue).toBeGreaterThan(0);
	});

	// Autotuning is not asserted here (see the next test): a reader that keeps up grew rb from 131072 to 0.6 to 4.7 MB in 30 of 30 runs
	// on an idle machine, but in only 17 of 30 beside two busy CPU loops (vitest runs files side by side), as a
	// reader that the scheduler holds back is a slow reader. The bounds below always hold.
	test('keeps each receive buffer between tcp_rmem min and max, for a fast and a slow reader', async () => {
		const total = 4 * 1024 * 1024;
		const server = await startTcpServer((socket) => void socket.write(new Uint8Array(total)));
		const fast = await rawClient(server);
		await readAsFastAsItCan(fast, total);
		const slow = await Socket.connect(server.host, server.port);
		onTestFinished(() => slow.close());
		for (let count = 0; count < 20; count += 1) {
			await slow.recv(5120);
			await sleep(10);
		}
		for (const localPort of [fast.localPort!, slow.localPort!]) {
			const info = await tcpInfo(localPort, server.port);
			expect(info!.receiveBuffer).toBeGreaterThanOrEqual(settings!.receive.min);
			expect(info!.receiveBuffer).toBeLessThanOrEqual(settings!.receive.max);
		}
	});

	// Notebook 3 says so: Linux grows the receive buffer of a reader that keeps up with a fast sender. One try
	// can miss it on a busy machine (17 of 30 beside two busy loops, above); eight tries all missing would
	// take a machine where it never happens.
	test.runIf(settings?.autotuning === true)('grows the receive buffer of a reader that keeps up with a fast sender (autotuning), in one of eight tries', async () => {
		const total = 4 * 1024 * 1024;
		const server = await startTcpServer((socket) => void socket.write(new Uint8Array(total)));
		const largest: number[] = [];
		for (let tries = 0; tries < 8 && !largest.some((size) => size > settings!.receive.default); tries += 1) {
			const fast = await rawClient(server);
			await readAsFastAsItCan(fast, total);
			largest.push((await tcpInfo(fast.localPort!, server.port))!.receiveBuffer);
			fast.destroy();
		}
		expect(Math.max(...largest), `receive buffers seen: ${largest.join(', ')}`).toBeGreaterThan(settings!.receive.default);
	});

	test('gives undefined for a connection that does not exist', async () => {
		const server = await startTcpServer(() => {});
		const client = await rawClient(server);
		const localPort = client.localPort!;
		expect(await tcpInfo(localPort, server.port, {remoteAddress: '10.1.2.3'})).toBeUndefined();
		client.destroy();
		await waitUntil(async () => (await tcpInfo(localPort, server.port)) === undefined, {timeoutMs: 5000, what: 'the closed connection to leave ss'});
	});
});

describe('tcpInfo', () => {
	test.each([
		[0, 80, {}],
		[65536, 80, {}],
		[8080, 1.5, {}],
		[8080, 80, {remoteAddress: 'localhost'}],
	])('rejects bad arguments with a RangeError (%s, %s, %o)', async (localPort, remotePort, options) => {
		const error = await rejectionOf(tcpInfo(localPort, remotePort, options));
		expect(error).toBeInstanceOf(RangeError);
	});
});

describe('parseTcpInfo', () => {
	// Rows as ss 6.1 printed them on this machine, and as an older ss without snd_wnd would.
	const SENDER =
		'0      3723910 127.0.0.1:46786 127.0.0.1:38151\n' +
		'\t skmem:(r0,rb131072,t0,tb4194304,f2426,w3790470,o0,bl0,d0) bbr wscale:10,10 rto:208 backoff:2 rtt:7.192/13.06 mss:47616 pmtu:65535 rcvmss:536 advmss:65483 cwnd:18 bytes_sent:230400 bbr:(bw:205344720bps,mrtt:0.045,pacing_gain:2.88672,cwnd_gain:2.88672) send 953379310bps lastsnd:1504 pacing_rate 166344733208bps delivery_rate 28322480bps delivered:9 busy:1532ms rwnd_limited:1532ms(100.0%) retrans:0/2 rcv_space:65495 rcv_ssthresh:65495 notsent:3723910 minrtt:0.045\n';
	const IPV6 =
		'5      0      [::ffff:127.0.0.1]:8080 [::ffff:127.0.0.1]:51000\n' +
		'\t skmem:(r0,rb2044848,t0,tb87040,f0,w0,o0,bl0,d0) ts sack cubic wscale:7,7 rto:204 mss:1448 pmtu:1500 rcvmss:1448 advmss:1448 cwnd:10 send 28.8Mbps app_limited busy:10ms sndbuf_limited:4ms(40.0%) rcv_space:14480 snd_wnd:64000\n';

	test.each([
		[
			'a sender held back by the window, snd_wnd left out as 0',
			SENDER,
			true,
			{
				localPort: 46786,
				remotePort: 38151,
				receiveQueue: 0,
				sendQueue: 3723910,
				mss: 47616,
				advertisedMss: 65483,
				receiveMss: 536,
				pathMtu: 65535,
				receiveBuffer: 131072,
				sendBuffer: 4194304,
				sendWindow: 0,
				receiveSpace: 65495,
				receiveWindowLimited: {ms: 1532, percent: 100},
				sendBufferLimited: undefined,
				congestionControl: 'bbr',
			},
		],
		['the same from an ss that never shows snd_wnd', SENDER, false, {sendWindow: undefined}],
		[
			'an IPv4-mapped IPv6 row with options before the algorithm',
			IPV6,
			true,
			{localAddress: '::ffff:127.0.0.1', localPort: 8080, receiveQueue: 5, receiveBuffer: 2044848, sendWindow: 64000, sendBufferLimited: {ms: 4, percent: 40}, congestionControl: 'cubic'},
		],
	])('reads %s', (_name, output, sendWindowShown, expected) => {
		const rows = parseTcpInfo(output, sendWindowShown);
		expect(rows).toHaveLength(1);
		expect(rows[0]).toMatchObject(expected);
	});

	test('reads both ends of a loopback connection as two rows', () => {
		expect(parseTcpInfo(SENDER + IPV6, true).map((row) => row.localPort)).toEqual([46786, 8080]);
	});
});

describe.skipIf(settings === undefined)('tcpBufferSettings', () => {
	test('gives the receive and send buffer sizes in order min <= default <= max, and whether autotuning is on', () => {
		for (const limits of [settings!.receive, settings!.send]) {
			expect(limits.min).toBeGreaterThan(0);
			expect(limits.min).toBeLessThanOrEqual(limits.default);
			expect(limits.default).toBeLessThanOrEqual(limits.max);
		}
		expect(typeof settings!.autotuning).toBe('boolean');
	});
});
