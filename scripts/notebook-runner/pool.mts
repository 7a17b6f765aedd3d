/** Running notebooks side by side: at most `jobs` at a time, each result kept in its item's place. */
import {availableParallelism} from 'node:os';

/** The default number of notebooks run at once: one per core. */
export const DEFAULT_JOBS = availableParallelism();

/** Runs `work` on every item, at most `jobs` at once; resolves with the results in the items' order. */
export async function inParallel<T, R>(items: readonly T[], jobs: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
	const results = new Array<R>(items.length);
	let next = 0;
	const worker = async (): Promise<void> => {
		while (next < items.length) {
			const index = next++;
			results[index] = await work(items[index]!, index);
		}
	};
	await Promise.all(Array.from({length: Math.max(1, Math.min(jobs, items.length))}, worker));
	return results;
}
