/**
 * What leaves the replica on the wire, captured with tcpdump on the loopback: book-run-1 sends 1460-byte
 * segments and the 221-byte tail, never a 2920-byte write, which the loopback (MTU 65536) would send as one
 * segment where the lesson says two arrived together. Needs root and tcpdump; skipped without them, unless
 * REQUIRE_TCPDUMP=1, which turns their absence into a failure.
 */
import {type ChildProcess, spawn, spawnSync} from 'node:child_process';
import {once} from 'node:events';
import {describe, expect, onTestFinished, test} from 'vitest';
import {retrieve} from '../../lib/client/retrieve';
import {BOOK_RUN_1_SIZES} from '../../lib/replica/link-profiles';
import {waitUntil} from '../../scripts/support/wait-until.js';
import {CHAPTER_REQUEST} from '../helpers/chapter';
import {useReplica} from '../helpers/replica';

const REQUIRED = process.env['REQUIRE_TCPDUMP'] === '1';
const ROOT = process.getuid?.() === 0;
const TCPDUMP = spawnSync('tcpdump', ['--version']).status === 0;
const missing = [...(ROOT ? [] : ['root']), ...(TCPDUMP ? [] : ['tcpdump (apt-get install tcpdump)'])];
if (missing.length > 0 && !REQUIRED) console.warn(`Skipping the capture of segments on the wire: it needs ${missing.join(' and ')}.`);

test.runIf(REQUIRED && missing.length > 0)('root and tcpdump are there (REQUIRE_TCPDUMP=1)', () => {
	expect.fail(`REQUIRE_TCPDUMP=1 but this lacks ${missing.join(' and ')}`);
});

/** One TCP segment that carried data. */
interface Segment {
	/** Its sequence range as tcpdump prints it, e.g. `1461:2921`: the same range again is a retransmission. */
	readonly range: string;
	readonly bytes: number;
}

/** A running tcpdump on the loopback. */
interface Capture {
	/** What it has printed so far, a line per packet. */
	printed(): string;
	/** Interrupts it and resolves with all it printed, once it has exited. */
	stop(): Promise<{stdout: string; stderr: string}>;
}

/**
 * Starts tcpdump on the loopback for the packets sent from `port`, and resolves once it captures. Printed
 * in full, not with -q, for the sequence numbers; --immediate-mode hands over each packet as it comes.
 */
async function captureFrom(port: number): Promise<Capture> {
	const tcpdump: ChildProcess = spawn('tcpdump', ['-i', 'lo', '-nn', '-l', '--immediate-mode', `tcp src port ${port}`], {stdio: ['ignore', 'pipe', 'pipe']});
	onTestFinished(() => {
		if (tcpdump.exitCode === null && tcpdump.signalCode === null) tcpdump.kill('SIGKILL');
	});
	let stdout = '';
	let stderr = '';
	tcpdump.stdout!.setEncoding('latin1').on('data', (text: string) => (stdout += text));
	tcpdump.stderr!.setEncoding('latin1').on('data', (text: string) => (stderr += text));
	const exited = once(tcpdump, 'exit');
	// tcpdump says so once its filter is on the device: packets from then on are kept.
	await waitUntil(
		() => {
			if (tcpdump.exitCode !== null) throw new Error(`tcpdump exited with ${tcpdump.exitCode}: ${stderr}`);
			return stderr.includes('listening on lo');
		},
		{timeoutMs: 10_000, what: 'tcpdump to listen on lo'},
	);
	return {
		printed: () => stdout,
		async stop() {
			// SIGINT, as Ctrl-C: tcpdump prints what it still holds, then its counts, and exits.
			tcpdump.kill('SIGINT');
			await exited;
			return {stdout, stderr};
		},
	};
}

/** The data segments in tcpdump's lines (`... seq 1461:2921, ack 49, ..., length 1460`), in order. */
function dataSegments(stdout: string): Segment[] {
	return stdout.split('\n').flatMap((line): Segment[] => {
		const seq = / seq (\d+:\d+),/.exec(line);
		const length = / length (\d+)/.exec(line);
		return seq && length ? [{range: seq[1]!, bytes: Number(length[1])}] : [];
	});
}

describe.skipIf(missing.length > 0)('book-run-1 on the wire', () => {
	test('sends 48 segments of 1460 bytes and the 221-byte tail, while recv(5120) still reads 2920, 1460 x 42, 2920, 1460, 1681', async () => {
		const replica = await useReplica({link: 'book-run-1'});
		const capture = await captureFrom(replica.port);
		const {chunks} = await retrieve({host: replica.host, port: replica.port, request: CHAPTER_REQUEST, recvSize: 5120});
		// The replica's FIN is captured after its last data; once tcpdump has printed it, it has printed them all
		// (stopped any sooner, it drops the packets it has not read yet: it missed the last two, 2 runs in 6).
		await waitUntil(() => / Flags \[F/.test(capture.printed()), {timeoutMs: 10_000, what: "tcpdump to print the replica's FIN"});
		const {stdout, stderr} = await capture.stop();
		expect(stderr).toMatch(/\b0 packets dropped by kernel/);

		const segments = dataSegments(stdout);
		// A segment sent again (a retransmission) repeats its range; the replica's writes are the first copies.
		const distinct = segments.filter((segment, index) => segments.findIndex((other) => other.range === segment.range) === index);
		expect(distinct.map((segment) => segment.bytes)).toEqual([...Array<number>(48).fill(1460), 221]);
		expect(distinct.reduce((sum, segment) => sum + segment.bytes, 0)).toBe(70301);
		expect(Math.max(...segments.map((segment) => segment.bytes))).toBeLessThanOrEqual(1460);

		// The replica and this reader share one event loop, so a pair's second write is always made before
		// the reader's next recv: these sizes are certain here. A reader in another process races it.
		expect(chunks.map((chunk) => chunk.size)).toEqual(BOOK_RUN_1_SIZES);
	});
});
