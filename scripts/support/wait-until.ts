// A .ts file, not .mts: the CommonJS tests (test/**/*.ts) import it as well as the ES module scripts.
import {setTimeout as sleep} from 'node:timers/promises';

export interface WaitOptions {
	/** Give up after this long. */
	readonly timeoutMs: number;
	/** How often to look again. Default 50 ms. */
	readonly intervalMs?: number;
	/** What is awaited, for the error: "nginx to listen on 8080". */
	readonly what: string;
}

/**
 * Looks at `check` until it gives a value other than undefined, null or false, and returns that value.
 * It throws what `check` throws (so a server that exited can stop the wait at once), and a clear error
 * naming `what` when the time is up. The one way the project waits on a condition rather than on time.
 */
export async function waitUntil<T>(check: () => T | undefined | null | false | Promise<T | undefined | null | false>, options: WaitOptions): Promise<T> {
	const deadline = Date.now() + options.timeoutMs;
	for (;;) {
		const value = await check();
		if (value !== undefined && value !== null && value !== false) return value;
		if (Date.now() >= deadline) throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${options.what}`);
		await sleep(options.intervalMs ?? 50);
	}
}
