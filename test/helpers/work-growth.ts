/** The larger input of a comparison is this many times the smaller. */
export const SIZE_FACTOR = 64;
/**
 * The most the work per byte may grow from the smaller input to the larger. Linear work stays about the same
 * (1, up to 6 measured for a 1 MiB input that no longer fits in the caches); quadratic work grows SIZE_FACTOR
 * times (64). Half-way between 4 and 64 on a log scale leaves room for a busy machine either way.
 */
export const LINEAR_GROWTH_LIMIT = 16;

/** Each sample repeats the work until it has taken this long, in CPU time, so the clock's grain does not matter. */
const SAMPLE_MICROSECONDS = 3000;
const SAMPLES = 7;

/**
 * How many times more CPU time `work` spends per byte on `make(n * SIZE_FACTOR)` than on `make(n)`: about 1
 * if the work is linear (a little more where the larger input no longer fits in the processor's caches),
 * about SIZE_FACTOR if it is quadratic. A ratio of two times taken on the same machine at the same moment,
 * where a limit in milliseconds would fail on a slow or busy machine: each sample repeats the work until it
 * has taken SAMPLE_MICROSECONDS, the times are this process's CPU time so that other programs taking turns on
 * the cores do not count, the sizes alternate so that a busy moment weighs on both, and each size's fastest
 * sample is the one compared, since a garbage collection or a cold cache only ever adds time.
 */
export function workPerByteGrowth<T>(make: (n: number) => T, n: number, work: (input: T) => unknown): number {
	const small = make(n);
	const large = make(n * SIZE_FACTOR);
	// The first calls run before the JIT has compiled the code, and flatten a string built by concatenation.
	for (let i = 0; i < 3; i++) work(small);
	work(large);
	const smallRepeats = repeatsToFillASample(work, small);
	const largeRepeats = repeatsToFillASample(work, large);
	let smallTime = Number.POSITIVE_INFINITY;
	let largeTime = Number.POSITIVE_INFINITY;
	for (let sample = 0; sample < SAMPLES; sample++) {
		smallTime = Math.min(smallTime, cpuTimeOf(work, small, smallRepeats) / smallRepeats);
		largeTime = Math.min(largeTime, cpuTimeOf(work, large, largeRepeats) / largeRepeats);
	}
	return largeTime / smallTime / SIZE_FACTOR;
}

function repeatsToFillASample<T>(work: (input: T) => unknown, input: T): number {
	let repeats = 1;
	while (cpuTimeOf(work, input, repeats) < SAMPLE_MICROSECONDS) repeats *= 2;
	return repeats;
}

/** The CPU time, in microseconds, that `repeats` calls of `work` took (this process's, user and system). */
function cpuTimeOf<T>(work: (input: T) => unknown, input: T, repeats: number): number {
	const start = process.cpuUsage();
	for (let i = 0; i < repeats; i++) work(input);
	const {user, system} = process.cpuUsage(start);
	return user + system;
}
