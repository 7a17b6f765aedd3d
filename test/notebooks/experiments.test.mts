/**
 * The "Try it yourself" experiments of notebook 3, run as a learner runs them (one knob changed in the
 * parameters cell, the whole notebook run again), each checked against what its written answer says.
 * An answer that goes stale fails here.
 */
import {fileURLToPath} from 'node:url';
import {describe, expect, test} from 'vitest';
import {notebookStdout} from '../helpers/notebook-stdout.mjs';

const NOTEBOOK = fileURLToPath(new URL('../../notebooks/03-flow-control.ipynb', import.meta.url));
const SEGMENT = 1460;

/** Runs notebook 3 with `params` and returns everything it printed. */
const runExperiment = (...params: string[]): Promise<string> => notebookStdout(NOTEBOOK, params);

/** The sizes the loop printed as "size count" lines (the first such block: the learner's own loop). */
function loopSizes(stdout: string): number[] {
	const sizes: number[] = [];
	let count = 0;
	for (const line of stdout.split('\n')) {
		const match = /^(\d+) (\d+)$/.exec(line);
		if (!match) {
			if (sizes.length > 0) break;
			continue;
		}
		count += Number(match[1]);
		expect(Number(match[2])).toBe(count);
		sizes.push(Number(match[1]));
	}
	expect(count).toBe(70301);
	return sizes;
}

/** "The sender waited N time(s), S s in all" */
function senderWaits(stdout: string): {times: number; seconds: number} {
	const match = /The sender waited (\d+) times?, ([\d.]+) s in all/.exec(stdout);
	expect(match).not.toBeNull();
	return {times: Number(match![1]), seconds: Number(match![2])};
}

// One after the other: the experiments time real sockets, and eight kernels at once on two cores would blur them.
describe("notebook 3's experiments give the answers it states", {timeout: 300_000}, () => {
	test('1. RECV_SIZE = 1000: 1000 each, 71 reads, the last 301 bytes', async () => {
		const sizes = loopSizes(await runExperiment('RECV_SIZE=1000'));
		expect(sizes).toEqual([...Array<number>(70).fill(1000), 301]);
	});

	test('2. RECV_SIZE = 20000 with the sleep: never 20000; about eight segments a read after the first', async () => {
		const sizes = loopSizes(await runExperiment('RECV_SIZE=20000'));
		expect(sizes).not.toContain(20000);
		expect(sizes[0]).toBe(SEGMENT);
		for (const size of sizes.slice(1, -1)) {
			expect(size % SEGMENT).toBe(0);
			expect(size / SEGMENT).toBeGreaterThanOrEqual(7);
			expect(size / SEGMENT).toBeLessThanOrEqual(10);
		}
	});

	test('3. DELAY_MS = 0 on book-run-2: one segment per read, 1460 bytes, about 49 reads, the last 221', async () => {
		const sizes = loopSizes(await runExperiment('DELAY_MS=0'));
		// A busy machine may now and then deliver two segments together; never more.
		expect(Math.max(...sizes)).toBeLessThanOrEqual(2 * SEGMENT);
		expect(sizes.filter((size) => size === SEGMENT).length).toBeGreaterThanOrEqual(40);
		expect(sizes.at(-1)! % SEGMENT).toBe(221);
	});

	test('4. LINK = realistic without the sleep: the sizes change from run to run', async () => {
		const [first, second] = await Promise.all([runExperiment('LINK=realistic', 'DELAY_MS=0'), runExperiment('LINK=realistic', 'DELAY_MS=0')]);
		expect(loopSizes(first!)).not.toEqual(loopSizes(second!));
	});

	test('5. FLOW_DELAY_MS = 5: the sender waits about as often, for a fraction of the time with 25 ms; a reader that never sleeps makes it wait for milliseconds', async () => {
		// The answer compares with the default run on the same machine, so both are run here, one after the other.
		const usual = senderWaits(await runExperiment());
		const faster = senderWaits(await runExperiment('FLOW_DELAY_MS=5'));
		const fastest = senderWaits(await runExperiment('FLOW_DELAY_MS=0'));
		expect(faster.times).toBeGreaterThanOrEqual(1);
		expect(Math.abs(faster.times - usual.times)).toBeLessThanOrEqual(2);
		expect(faster.seconds).toBeLessThanOrEqual(usual.seconds / 2);
		expect(fastest.times).toBeGreaterThanOrEqual(1);
		expect(fastest.seconds).toBeLessThanOrEqual(0.1);
	});
});
