/**
 * The grader's judge (lib/lesson/judge.ts) decides a verdict from what its own replicas sent and saw: the
 * solutions pass, and a submission that answers from memory, asks for a verdict without the calls, or
 * changes its story after the verdict does not.
 */
import {afterEach, beforeEach, describe, expect, test} from 'vitest';
import {askJudge} from '../../lib/lesson/judge-client.js';
import {type Judge, startJudge} from '../../lib/lesson/judge.js';
import {judgedResult, type ExerciseResult} from '../../lib/lesson/exercises.js';
import {EXERCISE_PLANS, EXERCISES} from '../../lib/lesson/exercise-plans.js';
import {judgeExercise} from '../../lib/lesson/exercise-findings.js';
import {encodeObservation} from '../../lib/lesson/observation.js';
import {readDataFile} from '../../lib/replica/resources.js';
import {solutionFunctions} from '../helpers/exercise-solutions.js';

let judge: Judge;
let verdicts: ExerciseResult[];
let address: string;

beforeEach(async () => {
	verdicts = [];
	judge = await startJudge({onVerdict: (verdict) => verdicts.push(verdict)});
	address = `127.0.0.1:${judge.port}`;
});

afterEach(async () => {
	await judge.close();
});

/** The bytes of the response at `url`, read with fetch's body (the judge's replicas speak HTTP/1.0). */
async function bodyAt(url: string): Promise<Buffer> {
	return Buffer.from(await (await fetch(url)).arrayBuffer());
}

describe('the judge', () => {
	test('passes every solution, and says so to the grader itself', async () => {
		const functions = solutionFunctions();
		for (const exercise of EXERCISES) {
			const result = await judgedResult(address, exercise, functions[exercise]);
			expect(result.passed, result.lines.join('\n')).toBe(true);
		}
		expect(verdicts.map((verdict) => [verdict.exercise, verdict.passed])).toEqual(EXERCISES.map((exercise) => [exercise, true]));
	}, 60_000);

	test('serves bytes made for each call, so no submission knows them beforehand', async () => {
		const first = (await askJudge(address, 'call', {exercise: 3, index: 1})) as {url: string};
		const second = (await askJudge(address, 'call', {exercise: 1, index: 1})) as {url: string};
		const [a, b] = [await bodyAt(first.url), await bodyAt(second.url)];
		const chapter = readDataFile('cover3.jpg');
		expect(a.equals(chapter)).toBe(false);
		expect(a.equals(b)).toBe(false);
		// Still the picture: the same JPEG with a comment segment after its start.
		expect([a.subarray(0, 2), a.subarray(-2)]).toEqual([chapter.subarray(0, 2), chapter.subarray(-2)]);
	});

	test("fails an answer from memory: the chapter's own files, which the notebook's checks would pass", async () => {
		const fromMemory = async (url: string): Promise<Buffer> => readDataFile(url.endsWith('/romeo.txt') ? 'romeo.txt' : 'cover3.jpg');
		const result = await judgedResult(address, 3, fromMemory);
		expect(result.passed).toBe(false);
		expect(result.lines.filter((line) => line.startsWith('✗'))).toHaveLength(2);
		expect(verdicts.map((verdict) => verdict.passed)).toEqual([false]);
	});

	test('fails a verdict asked for before any call was made', async () => {
		const result = (await askJudge(address, 'verdict', {exercise: 2})) as ExerciseResult;
		expect(result.passed).toBe(false);
		expect(result.lines.join('\n')).toContain('the check never made this call');
	});

	test('keeps its first verdict and its first word of each call', async () => {
		const functions = solutionFunctions();
		const wrong = async (): Promise<Buffer> => Buffer.from('no');
		expect((await judgedResult(address, 3, wrong)).passed).toBe(false);
		// A second try, right this time, changes nothing: the verdict is given.
		expect((await judgedResult(address, 3, functions[3])).passed).toBe(false);
		// Nor does a right answer sent after a wrong one for the same call.
		const {url} = (await askJudge(address, 'call', {exercise: 1, index: 0})) as {url: string};
		await askJudge(address, 'observation', {exercise: 1, index: 0, observation: encodeObservation({kind: 'value', value: Buffer.from('wrong')})});
		await askJudge(address, 'observation', {exercise: 1, index: 0, observation: encodeObservation({kind: 'value', value: await bodyAt(url)})});
		const result = (await askJudge(address, 'verdict', {exercise: 1})) as ExerciseResult;
		expect(result.passed).toBe(false);
		expect(verdicts.map((verdict) => verdict.passed)).toEqual([false, false]);
	});

	test('answers malformed requests with 400 and keeps serving', async () => {
		for (const body of [{exercise: 9}, {exercise: 1, index: 'x'}, {exercise: 1, index: 99}, {exercise: '1'}]) {
			await expect(askJudge(address, 'call', body)).rejects.toThrow(/answered 400/);
		}
		const raw = await fetch(`http://${address}/verdict`, {method: 'POST', body: '{not json'});
		expect(raw.status).toBe(400);
		expect(((await askJudge(address, 'call', {exercise: 2, index: 0})) as {url: string}).url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/exercise\.txt$/);
	});
});

describe('exercise 5, judged on a busy machine', () => {
	const total = 70301;
	const served = {response: Buffer.alloc(total), body: Buffer.alloc(total - 240), requestLines: ['GET /cover3.jpg HTTP/1.0']};
	const judged = (sleeping: number[], eager: number[]): ExerciseResult =>
		judgeExercise(
			5,
			EXERCISE_PLANS[5].calls.map((call, index) => ({call, url: 'http://127.0.0.1:1/cover3.jpg', served, observation: {kind: 'value', value: index === 0 ? sleeping : eager}})),
		);
	const segments = (count: number): number[] => Array<number>(count).fill(1460);
	// The book's 49 segment-sized reads without the sleep: 48 full segments and the 221-byte tail.
	const eager = [...segments(48), 221];

	test("passes the book's numbers, and a first read of two segments when the reader was kept waiting", () => {
		expect(judged([1460, ...Array<number>(13).fill(5120), 2281], eager).passed).toBe(true);
		const late = judged([2920, ...Array<number>(13).fill(5120), 821], eager);
		expect(late.passed, late.lines.join('\n')).toBe(true);
		expect(late.lines[0]).toContain('the first took two segments');
	});

	test('passes a reader that kept up but for a few reads of three segments', () => {
		expect(judged([1460, ...Array<number>(13).fill(5120), 2281], [4380, 4380, ...segments(42), 221]).passed).toBe(true);
	});

	test('still fails the mistakes: a sleep before the first recv, a short sleep, a read lost', () => {
		expect(judged([5120, ...Array<number>(12).fill(5120), 5120, 3741], eager).lines.join('\n')).toContain('Sleep after each recv, not before the first');
		expect(judged([1460, ...Array<number>(13).fill(5120), 2281], [...Array<number>(16).fill(4380), 221]).passed).toBe(false);
		expect(judged([1460, ...Array<number>(12).fill(5120), 2281], eager).lines.join('\n')).toContain('is a read missing?');
	});
});
