/**
 * `promise`, or a failure naming `what` once `timeoutMs` has passed: a wait that only an event can end (an
 * interrupt, a server's answer) still ends, with a message instead of the test runner's bare timeout.
 * The bound is a safety net, never the thing tested: make it far longer than the event can take.
 */
export async function within<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
	let timer: NodeJS.Timeout | undefined;
	const timedOut = new Promise<never>((_, reject) => {
		timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
	});
	try {
		return await Promise.race([promise, timedOut]);
	} finally {
		clearTimeout(timer);
	}
}
