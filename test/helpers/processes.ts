import {readdirSync, readFileSync} from 'node:fs';
import {randomUUID} from 'node:crypto';
import {waitUntil} from '../../scripts/support/wait-until.js';

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
	return waitUntil(() => processesWithMarker(marker).length === 0, {timeoutMs, intervalMs: 100, what: `no process marked ${marker}`}).then(
		() => [],
		() => processesWithMarker(marker),
	);
}
