import {readdirSync, readFileSync} from 'node:fs';
import {randomUUID} from 'node:crypto';
import {setTimeout as sleep} from 'node:timers/promises';

/** A fresh marker to put in a kernel's environment, so a test can find exactly its own processes. */
export function newMarker(): string {
	return `lesson-test-${randomUUID()}`;
}

/** The ids of live processes whose environment contains `LESSON_TEST_MARK=marker` (Linux /proc). */
export function processesWithMarker(marker: string): number[] {
	const needle = `LESSON_TEST_MARK=${marker}`;
	const pids: number[] = [];
	for (const entry of readdirSync('/proc')) {
		if (!/^\d+$/.test(entry)) continue;
		try {
			const environ = readFileSync(`/proc/${entry}/environ`, 'latin1');
			const state = /State:\s+(\w)/.exec(readFileSync(`/proc/${entry}/status`, 'latin1'))?.[1];
			if (state !== 'Z' && environ.split('\0').includes(needle)) pids.push(Number(entry));
		} catch {
			// The process ended while we looked.
		}
	}
	return pids;
}

/** Waits until no process carries `marker`, up to `timeoutMs`; returns those still there. */
export async function processesLeftAfter(marker: string, timeoutMs = 5000): Promise<number[]> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const left = processesWithMarker(marker);
		if (left.length === 0 || Date.now() > deadline) return left;
		await sleep(100);
	}
}
