import type * as net from 'node:net';
import {setTimeout as sleep} from 'node:timers/promises';
import fc from 'fast-check';
import {describe, expect, test} from 'vitest';
import {Socket} from '../../lib/index';
import {startTcpServer} from '../helpers/tcp-server';

// Why these properties: the whole lesson rests on recv's byte accounting. Whatever the segments the network
// makes of a payload and whenever they come, and whatever sizes the program asks for, every byte must arrive
// exactly once and in order, no recv may return more than it asked for (nor nothing, before the end), and the
// end must come as an empty buffer. Real sockets on loopback, real segments with real gaps (0 to 3 ms), so fewer
// runs than a pure property. Seeded, so that a failure reproduces: fast-check prints the seed and the path of
// the smallest failing case.

const SEED = 22;
const RUNS = 200;

interface Plan {
	/** What the server writes, one write each (Nagle off, so each leaves at once), after its gap. */
	readonly segments: ReadonlyArray<{readonly bytes: Uint8Array; readonly gapMs: number}>;
	/** The sizes the client asks recv for, in turn, over and over. */
	readonly recvSizes: readonly number[];
}

const plan: fc.Arbitrary<Plan> = fc.record({
	segments: fc.array(fc.record({bytes: fc.uint8Array({minLength: 1, maxLength: 3000}), gapMs: fc.integer({min: 0, max: 3})}), {maxLength: 8}),
	recvSizes: fc.array(fc.oneof(fc.integer({min: 1, max: 16}), fc.integer({min: 1, max: 8192})), {minLength: 1, maxLength: 6}),
});

/** Writes the current plan's segments to each connection, then closes it. */
async function serve(socket: net.Socket, segments: Plan['segments']): Promise<void> {
	socket.setNoDelay(true);
	for (const {bytes, gapMs} of segments) {
		if (gapMs > 0) await sleep(gapMs);
		if (socket.destroyed) return;
		await new Promise<void>((resolve) => socket.write(bytes, () => resolve()));
	}
	socket.end();
}

describe('recv, for any segments and any sizes asked', () => {
	test('hands over every byte once, in order, never more than asked, then an empty buffer', async () => {
		let current: Plan | undefined;
		const server = await startTcpServer((socket) => void serve(socket, current!.segments));
		await fc.assert(
			fc.asyncProperty(plan, async (thisPlan) => {
				current = thisPlan;
				const sent = Buffer.concat(thisPlan.segments.map(({bytes}) => bytes));
				const socket = await Socket.connect(server.host, server.port);
				try {
					const pieces: Buffer[] = [];
					for (let call = 0; ; call++) {
						const asked = thisPlan.recvSizes[call % thisPlan.recvSizes.length]!;
						const data = await socket.recv(asked);
						expect(data.length, `recv(${asked}), call ${call}`).toBeLessThanOrEqual(asked);
						if (data.length === 0) break;
						pieces.push(data);
					}
					expect(Buffer.concat(pieces).equals(sent)).toBe(true);
					expect((await socket.recv(1)).length).toBe(0);
				} finally {
					await socket.close();
				}
			}),
			{seed: SEED, numRuns: RUNS},
		);
	});
});
