import {randomUUID} from 'node:crypto';
import {waitUntil} from '../../scripts/support/wait-until.js';

const {processesWithEnvironment} = require('../../scripts/support/processes-with-environment.cjs') as {
	processesWithEnvironment: (entry: string) => number[];
};

/** A fresh marker to put in a kernel's environment, so a test can find exactly its own processes. */
export function newMarker(): string {
	return `lesson-test-${randomUUID()}`;
}

/** The ids of live processes whose environment contains `LESSON_TEST_MARK=marker` (Linux /proc). */
export function processesWithMarker(marker: string): number[] {
	return processesWithEnvironment(`LESSON_TEST_MARK=${marker}`);
}

/** Waits until no process carries `marker`, up to `timeoutMs`; returns those still there. */
export async function processesLeftAfter(marker: string, timeoutMs = 5000): Promise<number[]> {
	return waitUntil(() => processesWithMarker(marker).length === 0, {timeoutMs, intervalMs: 100, what: `no process marked ${marker}`}).then(
		() => [],
		() => processesWithMarker(marker),
	);
}
