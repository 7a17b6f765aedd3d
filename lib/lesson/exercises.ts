/**
 * The checks behind notebooks/04-exercises.ipynb. Each runs the learner's function against a replica of its
 * own and says, in plain words, what is right and what is off; it never throws, so "Run All" goes on to the
 * next exercise. `npm run grade` reads the first line each check prints: `Exercise N: PASS` or `FAIL`.
 */
import {startReplica, type Replica} from '../replica/replica';
import {readDataFile} from '../replica/resources';
import {retrieve} from '../client/retrieve';
import {splitResponse} from '../client/split-response';

/** One exercise's verdict: every check with what it found. */
export interface ExerciseResult {
	readonly exercise: number;
	readonly title: string;
	readonly passed: boolean;
	/** One line per check, starting with ✓ or ✗. */
	readonly lines: readonly string[];
}

/** How long the learner's function may take for one URL before the check gives up on it. */
const CALL_LIMIT_MS = 20_000;

/** What a check found about one call: `ok` and the words for the learner. */
interface Finding {
	readonly ok: boolean;
	readonly say: string;
}

const pass = (say: string): Finding => ({ok: true, say});
const fail = (say: string): Finding => ({ok: false, say});

/** Prints an exercise's verdict as the check cell shows it; the first line is what `npm run grade` reads. */
export function printResult(result: ExerciseResult): void {
	const passedCount = result.lines.filter((line) => line.startsWith('✓')).length;
	console.log(`Exercise ${result.exercise}: ${result.passed ? 'PASS' : 'FAIL'} (${result.title}: ${passedCount} of ${result.lines.length} checks)`);
	for (const line of result.lines) console.log(`  ${line}`);
}

/** Calls the learner's function with a time limit; a throw or a timeout becomes words, never a stack trace. */
async function callLearner<T>(fn: unknown, name: string, args: unknown[]): Promise<{value: T} | {problem: string}> {
	if (typeof fn !== 'function') return {problem: `${name} is not a function yet: write it in the cell above and run that cell`};
	let timer: NodeJS.Timeout | undefined;
	try {
		const value = await Promise.race([
			Promise.resolve().then(() => (fn as (...args: unknown[]) => unknown)(...args)),
			new Promise<never>((_, reject) => {
				timer = setTimeout(() => reject(new CheckTimeout()), CALL_LIMIT_MS);
			}),
		]);
		return {value: value as T};
	} catch (error) {
		if (error instanceof CheckTimeout) {
			return {problem: `${name} did not finish within ${CALL_LIMIT_MS / 1000} s: does its loop stop when recv returns an empty Buffer?`};
		}
		const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
		return {problem: `${name} threw ${message}`};
	} finally {
		clearTimeout(timer);
	}
}

class CheckTimeout extends Error {}

/** Starts a replica for one check, runs `body`, and always stops the replica. */
async function withReplica<T>(link: 'fast' | 'book-run-2', body: (replica: Replica) => Promise<T>): Promise<T> {
	const replica = await startReplica({link});
	try {
		return await body(replica);
	} finally {
		await replica.close();
	}
}

/** The whole response the replica sends for `path`, taken with the library's own recv loop. */
async function fullResponse(replica: Replica, path: string): Promise<Buffer> {
	const {data} = await retrieve({host: replica.host, port: replica.port, request: `GET ${path} HTTP/1.0\r\n\r\n`, recvSize: 65536});
	return data;
}

/** What a learner's function returned for one URL, with where the replica's log stood before the call. */
interface Call {
	readonly url: string;
	readonly path: string;
	readonly value: unknown;
	/** How many connections the replica had logged before the call: the learner's own come after. */
	readonly connectionsBefore: number;
}

/**
 * Calls the learner's function `name` on each of `paths` on the replica. A throw, a timeout or a missing
 * function is a failed finding for that URL; otherwise `judge` says what is right and wrong in what came back.
 */
async function onEachPath(replica: Replica, paths: readonly string[], fn: unknown, name: string, judge: (call: Call) => Promise<Finding[]>): Promise<Finding[]> {
	const found: Finding[] = [];
	for (const path of paths) {
		const url = `http://${replica.host}:${replica.port}${path}`;
		const connectionsBefore = replica.connections.length;
		const result = await callLearner<unknown>(fn, name, [url]);
		if ('problem' in result) found.push(fail(`${url}: ${result.problem}`));
		else found.push(...(await judge({url, path, value: result.value, connectionsBefore})));
	}
	return found;
}

function asBuffer(value: unknown): Buffer | undefined {
	if (Buffer.isBuffer(value)) return value;
	if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
	return undefined;
}

function verdict(exercise: number, title: string, findings: readonly Finding[]): ExerciseResult {
	return {exercise, title, passed: findings.every((finding) => finding.ok), lines: findings.map((finding) => `${finding.ok ? '✓' : '✗'} ${finding.say}`)};
}

/** Compares a learner's bytes with the right ones and says how they differ, in the words a learner needs. */
function compareBytes(what: string, got: Buffer, want: Buffer): Finding {
	if (got.equals(want)) return pass(`${what}: all ${want.length} bytes, exactly right`);
	if (got.length < want.length && want.subarray(0, got.length).equals(got)) {
		return fail(`${what}: you returned the first ${got.length} of ${want.length} bytes: keep calling recv until it returns an empty Buffer`);
	}
	if (got.length === want.length - 2 && want.subarray(2).equals(got)) {
		return fail(`${what}: the first 2 bytes are missing: did you skip 2 bytes too many?`);
	}
	if (got.length === want.length + 2 && got.subarray(2).equals(want)) {
		return fail(`${what}: 2 bytes too many at the start (${JSON.stringify(got.subarray(0, 2).toString('latin1'))}): the blank line is "\\r\\n\\r\\n", 4 bytes; skip all 4`);
	}
	if (got.length === want.length + 4 && got.subarray(4).equals(want)) {
		return fail(`${what}: the 4 bytes of the blank line are still at the start: skip past "\\r\\n\\r\\n"`);
	}
	if (got.length === want.length - 4 && want.subarray(4).equals(got)) {
		return fail(`${what}: 4 bytes too few at the start: the body begins right after "\\r\\n\\r\\n"`);
	}
	if (Buffer.from(want.toString('utf8'), 'utf8').equals(got) || Buffer.from(want.toString('latin1'), 'utf8').equals(got)) {
		return fail(`${what}: the bytes were turned into text and back, which changes a picture's bytes: keep them in a Buffer`);
	}
	return fail(`${what}: ${got.length} bytes, but the server sent ${want.length}, and they differ`);
}

/**
 * Exercise 1: `readUrl(url)` returns every byte the server sends for any http:// URL, headers included,
 * and throws an Error for a URL it cannot use.
 */
export async function exercise1Result(readUrl: unknown): Promise<ExerciseResult> {
	const findings = await withReplica('fast', async (replica) => {
		const found = await onEachPath(replica, ['/romeo.txt', '/cover3.jpg'], readUrl, 'readUrl', async ({url, path, value, connectionsBefore}) => {
			const got = asBuffer(value);
			if (!got) return [fail(`${url}: readUrl returned ${typeof value}, not a Buffer: return the bytes themselves`)];
			const request = replica.connections[connectionsBefore]?.requestLine ?? '';
			const asked = request.startsWith('GET ') && request.includes(path);
			return [
				compareBytes(url, got, await fullResponse(replica, path)),
				...(asked ? [] : [fail(`${url}: the server got the request line ${JSON.stringify(request)}, which does not ask for ${path}`)]),
			];
		});
		// Refusing a bad URL counts only once good ones work: a function that always throws refuses everything.
		if (!found.every((finding) => finding.ok)) {
			found.push(fail('URLs it cannot use: checked once readUrl reads the good ones'));
			return found;
		}
		for (const bad of ['not a url', 'http://']) {
			const result = await callLearner<unknown>(readUrl, 'readUrl', [bad]);
			if ('problem' in result && result.problem.includes(' threw ')) found.push(pass(`${JSON.stringify(bad)}: refused with an error, as the book's try/except asks`));
			else if ('problem' in result) found.push(fail(`${JSON.stringify(bad)}: ${result.problem}`));
			else found.push(fail(`${JSON.stringify(bad)}: readUrl returned instead of throwing an Error for a URL it cannot use`));
		}
		return found;
	});
	return verdict(1, 'read any URL', findings);
}

/** The shape exercises 2 and 4 return: the text shown (at most 3000 characters) and the count. */
export interface ShownAndCounted {
	shown: string;
	count: number;
}

function readShownAndCounted(value: unknown): ShownAndCounted | string {
	const candidate = value as Partial<ShownAndCounted> | null | undefined;
	if (typeof candidate !== 'object' || candidate === null) return `returned ${String(value)}, not {shown, count}`;
	if (typeof candidate.shown !== 'string') return 'returned no "shown" text: return {shown, count}';
	if (typeof candidate.count !== 'number') return 'returned no "count" number: return {shown, count}';
	return {shown: candidate.shown, count: candidate.count};
}

/** Checks the shown text and the count against what they should be, naming the usual mistakes. */
function judgeShownAndCounted(url: string, got: ShownAndCounted, text: string, whole: Buffer, body: Buffer, counts: 'everything' | 'body'): Finding[] {
	const found: Finding[] = [];
	const wantCount = counts === 'everything' ? whole.length : body.length;
	if (got.count === wantCount) found.push(pass(`${url}: counted ${wantCount} characters, all of them`));
	else if (counts === 'everything' && got.count === body.length) found.push(fail(`${url}: ${got.count} is the body alone: count every character received, the headers too (${wantCount})`));
	else if (counts === 'body' && got.count === whole.length) found.push(fail(`${url}: ${got.count} counts the headers too: fetch() gives the body, count only that (${wantCount})`));
	else if (got.count < wantCount) found.push(fail(`${url}: counted ${got.count}, but ${wantCount} arrived: is the last piece counted?`));
	else found.push(fail(`${url}: counted ${got.count}, but only ${wantCount} arrived: is something counted twice?`));
	const wantShown = text.slice(0, 3000);
	if (got.shown === wantShown) found.push(pass(`${url}: showed the first ${wantShown.length} characters`));
	else if (got.shown.length > 3000) found.push(fail(`${url}: showed ${got.shown.length} characters: show at most 3000`));
	else if (wantShown.startsWith(got.shown)) found.push(fail(`${url}: showed ${got.shown.length} characters, the start of the first ${wantShown.length}: show up to 3000`));
	else found.push(fail(`${url}: what you showed is not the first ${wantShown.length} characters of what arrived`));
	return found;
}

/** Exercise 2: `countAndShow(url)` counts every character received and shows only the first 3000. */
export async function exercise2Result(countAndShow: unknown): Promise<ExerciseResult> {
	const findings = await withReplica('fast', async (replica) => {
		return onEachPath(replica, ['/exercise.txt', '/romeo.txt'], countAndShow, 'countAndShow', async ({url, path, value}) => {
			const got = readShownAndCounted(value);
			if (typeof got === 'string') return [fail(`${url}: countAndShow ${got}`)];
			const whole = await fullResponse(replica, path);
			return judgeShownAndCounted(url, got, whole.toString('latin1'), whole, splitResponse(whole).body, 'everything');
		});
	});
	return verdict(2, 'count everything, show 3000', findings);
}

/** Exercise 3: `bodyAfterHeaders(url)` returns only what follows the headers and the blank line. */
export async function exercise3Result(bodyAfterHeaders: unknown): Promise<ExerciseResult> {
	const findings = await withReplica('fast', async (replica) => {
		return onEachPath(replica, ['/romeo.txt', '/cover3.jpg'], bodyAfterHeaders, 'bodyAfterHeaders', async ({url, path, value}) => {
			const got = asBuffer(value);
			// The body is the file itself, as the replica has it.
			return [got ? compareBytes(url, got, readDataFile(path.slice(1))) : fail(`${url}: bodyAfterHeaders returned ${typeof value}, not a Buffer`)];
		});
	});
	return verdict(3, 'only what follows the headers', findings);
}

/** Exercise 4: `fetchAndCount(url)` does exercise 2 with Node's fetch(): the body's characters, 3000 shown. */
export async function exercise4Result(fetchAndCount: unknown): Promise<ExerciseResult> {
	const findings = await withReplica('fast', async (replica) => {
		return onEachPath(replica, ['/exercise.txt', '/romeo.txt'], fetchAndCount, 'fetchAndCount', async ({url, path, value, connectionsBefore}) => {
			const got = readShownAndCounted(value);
			if (typeof got === 'string') return [fail(`${url}: fetchAndCount ${got}`)];
			// fetch() speaks HTTP/1.1; the raw socket programs of exercises 1 to 3 send HTTP/1.0.
			const request = replica.connections[connectionsBefore]?.requestLine ?? '';
			const usedFetch = request.endsWith('HTTP/1.1');
			const body = splitResponse(await fullResponse(replica, path)).body;
			return [
				...(usedFetch ? [] : [fail(`${url}: the request was ${JSON.stringify(request)}, not fetch()'s HTTP/1.1: use fetch(url)`)]),
				...judgeShownAndCounted(url, got, body.toString('latin1'), body, body, 'body'),
			];
		});
	});
	return verdict(4, 'the same with fetch()', findings);
}

/** The book's second run: 1460, then 5120 thirteen times, then 2281. */
const BOOK_SLEEPING_SIZES = [1460, ...Array<number>(13).fill(5120), 2281];

/**
 * Exercise 5 (this kit's own): `recvSizes(url, delayMs)` runs the chapter's recv(5120) loop, sleeping
 * `delayMs` after each recv, and returns the size of every recv that returned bytes. On the book's second
 * link, sleeping 250 ms gives the book's sizes; not sleeping gives segment-sized reads on the same link.
 */
export async function exercise5Result(recvSizes: unknown): Promise<ExerciseResult> {
	const findings = await withReplica('book-run-2', async (replica) => {
		const found: Finding[] = [];
		const url = `http://${replica.host}:${replica.port}/cover3.jpg`;
		const sleeping = await callLearner<unknown>(recvSizes, 'recvSizes', [url, 250]);
		if ('problem' in sleeping) found.push(fail(`sleeping 250 ms: ${sleeping.problem}`));
		else {
			const sizes = sleeping.value;
			if (!Array.isArray(sizes) || !sizes.every((size) => typeof size === 'number')) found.push(fail('sleeping 250 ms: recvSizes returned no list of numbers'));
			else if (sizes.join() === BOOK_SLEEPING_SIZES.join()) found.push(pass('sleeping 250 ms: 1460, 5120 x 13, 2281, the book\'s second run exactly'));
			else if (sizes.at(-1) === 70301) found.push(fail('sleeping 250 ms: the numbers grow to 70301: return each recv\'s size, not the running total'));
			else if (sizes[0] === 5120) found.push(fail(`sleeping 250 ms: the first read was 5120 bytes; the book's was 1460. Sleep after each recv, not before the first`));
			else if (sizes.reduce((sum: number, size: number) => sum + size, 0) !== 70301) found.push(fail(`sleeping 250 ms: the sizes add up to ${sizes.reduce((sum: number, size: number) => sum + size, 0)}, not 70301: is a read missing?`));
			else if (sizes.length > 20) found.push(fail(`sleeping 250 ms: ${sizes.length} reads, as if there were no sleep: sleep delayMs after each recv`));
			else found.push(fail(`sleeping 250 ms: ${sizes.length} reads (${sizes.slice(0, 4).join(', ')}, ...), not the book's 15`));
		}
		const eager = await callLearner<unknown>(recvSizes, 'recvSizes', [url, 0]);
		if ('problem' in eager) found.push(fail(`not sleeping: ${eager.problem}`));
		else {
			const sizes = eager.value;
			if (!Array.isArray(sizes) || !sizes.every((size) => typeof size === 'number')) found.push(fail('not sleeping: recvSizes returned no list of numbers'));
			else if (sizes.length >= 40 && sizes.every((size: number) => size <= 2920)) found.push(pass(`not sleeping: ${sizes.length} reads of a segment or two each, on the same link`));
			else found.push(fail(`not sleeping: ${sizes.length} reads, the biggest ${Math.max(...sizes)} bytes; without a sleep each recv should take what one or two 1460-byte segments brought`));
		}
		return found;
	});
	return verdict(5, 'the sleep and flow control', findings);
}

/** The check cells' calls: run one exercise's checks on the learner's function and print the verdict. */
export const check1 = async (readUrl: unknown): Promise<void> => printResult(await exercise1Result(readUrl));
export const check2 = async (countAndShow: unknown): Promise<void> => printResult(await exercise2Result(countAndShow));
export const check3 = async (bodyAfterHeaders: unknown): Promise<void> => printResult(await exercise3Result(bodyAfterHeaders));
export const check4 = async (fetchAndCount: unknown): Promise<void> => printResult(await exercise4Result(fetchAndCount));
export const check5 = async (recvSizes: unknown): Promise<void> => printResult(await exercise5Result(recvSizes));
