/**
 * Judging one exercise from what the learner's function returned and what the server sent and saw. The
 * same code judges in the notebook and in the grader's judge, so a learner reads the words a teacher gets.
 */
import {splitResponse} from '../client/split-response';
import {BOOK_TOTAL, sleepingSizes} from '../replica/link-profiles';
import {BOOK_DELAY_MS, EXERCISE_PLANS, type ExerciseNumber, type PlannedCall} from './exercise-plans';
import type {Observation} from './observation';

/** One exercise's verdict: every check with what it found. */
export interface ExerciseResult {
	readonly exercise: number;
	readonly title: string;
	readonly passed: boolean;
	/** One line per check, starting with ✓ or ✗. */
	readonly lines: readonly string[];
}

/** What the server of one call sent and saw, as the judging side recorded it (never the learner's word). */
export interface Served {
	/** The whole response the server sends for the call's path. */
	readonly response: Buffer;
	/** The file itself: the response's body. */
	readonly body: Buffer;
	/** The request line of each connection the learner's call made, in order. */
	readonly requestLines: readonly string[];
}

/** One call as it happened. `served` is undefined for a URL that names no server. */
export interface JudgedCall {
	readonly call: PlannedCall;
	readonly url: string;
	readonly observation: Observation;
	readonly served: Served | undefined;
}

/** What a check found about one call: `ok` and the words for the learner. */
interface Finding {
	readonly ok: boolean;
	readonly say: string;
}

const pass = (say: string): Finding => ({ok: true, say});
const fail = (say: string): Finding => ({ok: false, say});

/** Judges exercise `exercise` from its calls, in the order its plan makes them. */
export function judgeExercise(exercise: ExerciseNumber, calls: readonly JudgedCall[]): ExerciseResult {
	const plan = EXERCISE_PLANS[exercise];
	const findings = calls.length === plan.calls.length ? JUDGES[exercise](calls, plan.functionName) : [fail(`the check made ${calls.length} calls, not ${plan.calls.length}`)];
	return {exercise, title: plan.title, passed: findings.every((finding) => finding.ok), lines: findings.map((finding) => `${finding.ok ? '✓' : '✗'} ${finding.say}`)};
}

/** A result for an exercise whose calls never happened (the check did not run, or its report was lost). */
export function notJudged(exercise: ExerciseNumber, why: string): ExerciseResult {
	return {exercise, title: EXERCISE_PLANS[exercise].title, passed: false, lines: [`✗ ${why}`]};
}

type Judge = (calls: readonly JudgedCall[], name: string) => Finding[];

/** Each served call judged by `judge`; a throw, a timeout or a missing function is a failed finding. */
function eachServed(calls: readonly JudgedCall[], judge: (value: unknown, served: Served, url: string, path: string) => Finding[]): Finding[] {
	return calls.flatMap(({call, url, observation, served}) => {
		if (call.kind !== 'served') return [];
		if (observation.kind === 'problem') return [fail(`${url}: ${observation.problem}`)];
		if (!served) return [fail(`${url}: the server's record of this call is missing`)];
		return judge(observation.value, served, url, call.path);
	});
}

function asBuffer(value: unknown): Buffer | undefined {
	if (Buffer.isBuffer(value)) return value;
	if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
	return undefined;
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

/** Exercise 1: every byte the server sends, for any http:// URL; an Error for a URL it cannot use. */
const readAnyUrl: Judge = (calls, name) => {
	const found = eachServed(calls, (value, served, url, path) => {
		const got = asBuffer(value);
		if (!got) return [fail(`${url}: ${name} returned ${typeof value}, not a Buffer: return the bytes themselves`)];
		const request = served.requestLines[0] ?? '';
		const asked = request.startsWith('GET ') && request.includes(path);
		return [compareBytes(url, got, served.response), ...(asked ? [] : [fail(`${url}: the server got the request line ${JSON.stringify(request)}, which does not ask for ${path}`)])];
	});
	// Refusing a bad URL counts only once good ones work: a function that always throws refuses everything.
	if (!found.every((finding) => finding.ok)) return [...found, fail(`URLs it cannot use: checked once ${name} reads the good ones`)];
	for (const {call, observation} of calls) {
		if (call.kind !== 'unusable') continue;
		const bad = JSON.stringify(call.url);
		if (observation.kind === 'problem' && observation.problem.includes(' threw ')) found.push(pass(`${bad}: refused with an error, as the book's try/except asks`));
		else if (observation.kind === 'problem') found.push(fail(`${bad}: ${observation.problem}`));
		else found.push(fail(`${bad}: ${name} returned instead of throwing an Error for a URL it cannot use`));
	}
	return found;
};

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

/** Exercise 2: every character received is counted, the first 3000 shown. */
const countEverything: Judge = (calls, name) =>
	eachServed(calls, (value, served, url) => {
		const got = readShownAndCounted(value);
		if (typeof got === 'string') return [fail(`${url}: ${name} ${got}`)];
		return judgeShownAndCounted(url, got, served.response.toString('latin1'), served.response, splitResponse(served.response).body, 'everything');
	});

/** Exercise 3: only what follows the headers and the blank line. */
const bodyOnly: Judge = (calls, name) =>
	eachServed(calls, (value, served, url) => {
		const got = asBuffer(value);
		return [got ? compareBytes(url, got, served.body) : fail(`${url}: ${name} returned ${typeof value}, not a Buffer`)];
	});

/** Exercise 4: exercise 2 with fetch(): the body's characters, 3000 shown. */
const withFetch: Judge = (calls, name) =>
	eachServed(calls, (value, served, url) => {
		const got = readShownAndCounted(value);
		if (typeof got === 'string') return [fail(`${url}: ${name} ${got}`)];
		// fetch() speaks HTTP/1.1; the raw socket programs of exercises 1 to 3 send HTTP/1.0.
		const request = served.requestLines[0] ?? '';
		const usedFetch = request.endsWith('HTTP/1.1');
		return [
			...(usedFetch ? [] : [fail(`${url}: the request was ${JSON.stringify(request)}, not fetch()'s HTTP/1.1: use fetch(url)`)]),
			...judgeShownAndCounted(url, got, served.body.toString('latin1'), served.body, served.body, 'body'),
		];
	});

function describeSizes(sizes: readonly number[]): string {
	const fulls = sizes.filter((size) => size === 5120).length;
	return `${sizes[0]}, 5120 x ${fulls}, ${sizes.at(-1)}`;
}

function sizesOf(value: unknown): number[] | undefined {
	return Array.isArray(value) && value.every((size) => typeof size === 'number') ? (value as number[]) : undefined;
}

/**
 * A reader that sleeps after each recv, on the book's second network, as `sleepingSizes` says, give or take
 * what a busy machine does: a reader taken off the CPU for more than a segment's 30 ms before its first recv
 * finds two segments (2920) waiting, and its later reads are full reads all the same. That says nothing of
 * the learner's code, so it passes too; the mistakes (a sleep before the first recv, running totals, no
 * sleep, a read lost) do not.
 */
function sleptAfterEachRecv(sizes: readonly number[], total: number): boolean {
	const [first, ...rest] = sizes;
	const last = rest.at(-1) ?? 0;
	return (first === 1460 || first === 2920) && rest.slice(0, -1).every((size) => size === 5120) && last > 0 && last <= 5120 && sizes.reduce((all, size) => all + size, 0) === total;
}

/**
 * A reader that does not sleep takes what one or two segments brought at each recv. Now and then a busy
 * machine keeps it off the CPU long enough for a third to arrive: a few such reads, never a full 5120,
 * still show a reader keeping up (a reader that sleeps even 50 ms after each recv makes most of its reads
 * that size).
 */
function keptUp(sizes: readonly number[]): boolean {
	return sizes.length >= 40 && sizes.filter((size) => size > 2920).length <= 3 && sizes.every((size) => size < 5120);
}

/** Exercise 5: the book's second run when sleeping, a segment or two per read when not, on the same network. */
const theSleep: Judge = (calls) => {
	const [sleeping, eager] = calls;
	const found: Finding[] = [];
	const label = `sleeping ${BOOK_DELAY_MS} ms`;
	if (sleeping?.observation.kind === 'problem') found.push(fail(`${label}: ${sleeping.observation.problem}`));
	else if (!sleeping?.served) found.push(fail(`${label}: the server's record of this call is missing`));
	else {
		const sizes = sizesOf(sleeping.observation.value);
		const total = sleeping.served.response.length;
		const want = sleepingSizes(total);
		const sum = sizes?.reduce((all, size) => all + size, 0);
		const network = total === BOOK_TOTAL ? "the book's second run" : `the book's second network for these ${total} bytes`;
		if (!sizes) found.push(fail(`${label}: recvSizes returned no list of numbers`));
		else if (sizes.join() === want.join()) found.push(pass(`${label}: ${describeSizes(want)}, ${network} exactly`));
		else if (sleptAfterEachRecv(sizes, total))
			found.push(pass(`${label}: ${describeSizes(sizes)}: full reads after the first, as in ${network} (the first took two segments: this machine kept the reader waiting for a moment)`));
		else if (sizes.at(-1) === total) found.push(fail(`${label}: the numbers grow to ${total}: return each recv's size, not the running total`));
		else if (sizes[0] === 5120) found.push(fail(`${label}: the first read was 5120 bytes; the book's was 1460. Sleep after each recv, not before the first`));
		else if (sum !== total) found.push(fail(`${label}: the sizes add up to ${sum}, not ${total}: is a read missing?`));
		else if (sizes.length > want.length + 5) found.push(fail(`${label}: ${sizes.length} reads, as if there were no sleep: sleep delayMs after each recv`));
		else found.push(fail(`${label}: ${sizes.length} reads (${sizes.slice(0, 4).join(', ')}, ...), not the ${want.length} the book's second network gives`));
	}
	if (eager?.observation.kind === 'problem') found.push(fail(`not sleeping: ${eager.observation.problem}`));
	else if (!eager?.served) found.push(fail("not sleeping: the server's record of this call is missing"));
	else {
		const sizes = sizesOf(eager.observation.value);
		const total = eager.served.response.length;
		const sum = sizes?.reduce((all, size) => all + size, 0);
		if (!sizes) found.push(fail('not sleeping: recvSizes returned no list of numbers'));
		else if (sum !== total) found.push(fail(`not sleeping: the sizes add up to ${sum}, not ${total}: is a read missing?`));
		else if (keptUp(sizes)) found.push(pass(`not sleeping: ${sizes.length} reads of a segment or two each, on the same link`));
		else found.push(fail(`not sleeping: ${sizes.length} reads, the biggest ${Math.max(...sizes)} bytes; without a sleep each recv should take what one or two 1460-byte segments brought`));
	}
	return found;
};

const JUDGES: Readonly<Record<ExerciseNumber, Judge>> = {1: readAnyUrl, 2: countEverything, 3: bodyOnly, 4: withFetch, 5: theSleep};
