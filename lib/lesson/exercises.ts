/**
 * The checks behind notebooks/04-exercises.ipynb. Each calls the learner's function as its exercise's plan
 * says, each call on a replica of its own, and says in plain words what is right and what is off; it never
 * throws, so "Run All" goes on to the next exercise.
 *
 * In the notebook the replicas run in the learner's kernel. When a teacher grades (`npm run grade`), the
 * kernel runs in a sandbox with PR4E_JUDGE naming the grader's judge: the replicas are the judge's, serving
 * files made for that call, and the judge decides the verdict from what its replicas sent and saw. What the
 * check cell prints is then only the judge's answer shown to the reader; the grade never comes from it.
 */
import {startReplica} from '../replica/replica';
import {resourceTable} from '../replica/resources';
import {resourceResponse} from '../replica/response-head';
import {type ExerciseResult, type JudgedCall, judgeExercise, notJudged, type Served} from './exercise-findings';
import {EXERCISE_PLANS, type ExerciseNumber, type PlannedCall} from './exercise-plans';
import {decodeObservation, encodeObservation, type Observation} from './observation';
import {askJudge, judgeAddress} from './judge-client';

export type {ExerciseResult} from './exercise-findings';

/** How long the learner's function may take for one URL before the check gives up on it. */
const CALL_LIMIT_MS = 20_000;

/** Prints an exercise's verdict as the check cell shows it. */
export function printResult(result: ExerciseResult): void {
	const passedCount = result.lines.filter((line) => line.startsWith('✓')).length;
	console.log(`Exercise ${result.exercise}: ${result.passed ? 'PASS' : 'FAIL'} (${result.title}: ${passedCount} of ${result.lines.length} checks)`);
	for (const line of result.lines) console.log(`  ${line}`);
}

/**
 * Calls the learner's function with a time limit. A throw or a timeout becomes words, never a stack trace;
 * what it returns goes through JSON, as it would on its way to a judge.
 */
async function callLearner(fn: unknown, name: string, args: readonly unknown[]): Promise<Observation> {
	if (typeof fn !== 'function') return {kind: 'problem', problem: `${name} is not a function yet: write it in the cell above and run that cell`};
	let timer: NodeJS.Timeout | undefined;
	try {
		const value = await Promise.race([
			Promise.resolve().then(() => (fn as (...args: unknown[]) => unknown)(...args)),
			new Promise<never>((_, reject) => {
				timer = setTimeout(() => reject(new CheckTimeout()), CALL_LIMIT_MS);
			}),
		]);
		return decodeObservation(encodeObservation({kind: 'value', value}));
	} catch (error) {
		if (error instanceof CheckTimeout) {
			return {kind: 'problem', problem: `${name} did not finish within ${CALL_LIMIT_MS / 1000} s: does its loop stop when recv returns an empty Buffer?`};
		}
		const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
		return {kind: 'problem', problem: `${name} threw ${message}`};
	} finally {
		clearTimeout(timer);
	}
}

class CheckTimeout extends Error {}

/**
 * One planned call on a replica in this process, serving the chapter's files: what a learner's notebook
 * does. The replica's log says which requests the learner's call made.
 */
async function callHere(call: PlannedCall, fn: unknown, name: string): Promise<JudgedCall> {
	if (call.kind === 'unusable') return {call, url: call.url, observation: await callLearner(fn, name, [call.url]), served: undefined};
	const replica = await startReplica({link: call.link});
	try {
		const url = `${replica.url}${call.path}`;
		const observation = await callLearner(fn, name, [url, ...call.extraArgs]);
		const resource = resourceTable().get(call.path)!;
		const requestLines = replica.connections.map((connection) => connection.requestLine);
		const served: Served = {response: resourceResponse(resource, replica.link.date), body: resource.body, requestLines};
		return {call, url, observation, served};
	} finally {
		await replica.close();
	}
}

/** Exercise `exercise`'s checks in this process, against replicas of its own: the notebook's way. */
export async function exerciseResult(exercise: ExerciseNumber, fn: unknown): Promise<ExerciseResult> {
	const plan = EXERCISE_PLANS[exercise];
	const calls: JudgedCall[] = [];
	for (const call of plan.calls) calls.push(await callHere(call, fn, plan.functionName));
	return judgeExercise(exercise, calls);
}

/**
 * Exercise `exercise`'s calls on the judge's replicas; the judge answers with its verdict. Anything that
 * goes wrong on the way is a FAIL that says so: a check never throws.
 */
export async function judgedResult(judge: string, exercise: ExerciseNumber, fn: unknown): Promise<ExerciseResult> {
	const plan = EXERCISE_PLANS[exercise];
	try {
		for (const [index, call] of plan.calls.entries()) {
			const {url} = (await askJudge(judge, 'call', {exercise, index})) as {url: string};
			const args = call.kind === 'served' ? [url, ...call.extraArgs] : [url];
			const observation = await callLearner(fn, plan.functionName, args);
			await askJudge(judge, 'observation', {exercise, index, observation: encodeObservation(observation)});
		}
		return (await askJudge(judge, 'verdict', {exercise})) as ExerciseResult;
	} catch (error) {
		return notJudged(exercise, `the grader's judge could not be reached: ${(error as Error).message}`);
	}
}

async function check(exercise: ExerciseNumber, fn: unknown): Promise<void> {
	const judge = judgeAddress();
	printResult(judge ? await judgedResult(judge, exercise, fn) : await exerciseResult(exercise, fn));
}

/** Exercise 1: `readUrl(url)` returns every byte the server sends, and throws for a URL it cannot use. */
export const exercise1Result = (readUrl: unknown): Promise<ExerciseResult> => exerciseResult(1, readUrl);
/** Exercise 2: `countAndShow(url)` counts every character received and shows only the first 3000. */
export const exercise2Result = (countAndShow: unknown): Promise<ExerciseResult> => exerciseResult(2, countAndShow);
/** Exercise 3: `bodyAfterHeaders(url)` returns only what follows the headers and the blank line. */
export const exercise3Result = (bodyAfterHeaders: unknown): Promise<ExerciseResult> => exerciseResult(3, bodyAfterHeaders);
/** Exercise 4: `fetchAndCount(url)` does exercise 2 with Node's fetch(): the body's characters, 3000 shown. */
export const exercise4Result = (fetchAndCount: unknown): Promise<ExerciseResult> => exerciseResult(4, fetchAndCount);
/** Exercise 5: `recvSizes(url, delayMs)`: the book's second run when sleeping, segments when not. */
export const exercise5Result = (recvSizes: unknown): Promise<ExerciseResult> => exerciseResult(5, recvSizes);

/** The check cells' calls: run one exercise's checks on the learner's function and print the verdict. */
export const check1 = (readUrl: unknown): Promise<void> => check(1, readUrl);
export const check2 = (countAndShow: unknown): Promise<void> => check(2, countAndShow);
export const check3 = (bodyAfterHeaders: unknown): Promise<void> => check(3, bodyAfterHeaders);
export const check4 = (fetchAndCount: unknown): Promise<void> => check(4, fetchAndCount);
export const check5 = (recvSizes: unknown): Promise<void> => check(5, recvSizes);
