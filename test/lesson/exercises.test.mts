/**
 * The exercise checks (lib/lesson/exercises.ts) pass the solutions notebook's functions and fail the typical wrong
 * answers, each with words that name the mistake. The solutions are taken from
 * notebooks/04-exercises-solutions.ipynb itself, and each wrong answer is that solution with one mistake
 * typed in, so the solutions tested here are the ones the notebook shows.
 */
import {describe, expect, test} from 'vitest';
import {exercise1Result, exercise2Result, exercise3Result, exercise4Result, exercise5Result, type ExerciseResult} from '../../lib/lesson/exercises.js';
import {compile, solutionSource} from '../helpers/exercise-solutions.js';

/** `source` with `mistake` typed in: `from` must be there, so a changed solution cannot silently drop a test. */
function withMistake(source: string, from: string, to: string): string {
	expect(source, `the solution no longer contains ${JSON.stringify(from)}`).toContain(from);
	return source.replace(from, to);
}

function expectPass(result: ExerciseResult): void {
	expect(result.passed, result.lines.join('\n')).toBe(true);
	expect(result.lines.every((line) => line.startsWith('✓'))).toBe(true);
}

/** A failed verdict, one of whose lines says `words`. */
function expectFailSaying(result: ExerciseResult, words: string): void {
	expect(result.passed, result.lines.join('\n')).toBe(false);
	expect(result.lines.filter((line) => line.startsWith('✗')).join('\n')).toContain(words);
}

const one = solutionSource(1);

describe('exercise 1: read any URL', () => {
	test('passes the solution', async () => expectPass(await exercise1Result(compile('readUrl', one))));
	test('fails stopping after the first recv', async () => {
		const mistake = withMistake(one, 'if (data.length < 1) break;\n        pieces.push(data);', 'pieces.push(data);\n        break;');
		expectFailSaying(await exercise1Result(compile('readUrl', mistake)), 'keep calling recv until it returns an empty Buffer');
	});
	test('fails ignoring the port in the URL', async () => {
		expectFailSaying(await exercise1Result(compile('readUrl', withMistake(one, 'Number(port)', '80'))), 'readUrl threw');
	});
	test('fails returning text instead of bytes', async () => {
		expectFailSaying(await exercise1Result(compile('readUrl', withMistake(one, 'return Buffer.concat(pieces);', "return Buffer.concat(pieces).toString('latin1');"))), 'not a Buffer');
	});
	test('fails answering a bad URL instead of refusing it', async () => {
		const mistake = withMistake(one, 'throw new Error(`not an http:// URL: ${url}`);', 'return Buffer.alloc(0);');
		expectFailSaying(await exercise1Result(compile('readUrl', mistake)), 'returned instead of throwing an Error');
	});
	test('does not credit a function that refuses everything', async () => {
		const result = await exercise1Result(compile('readUrl', 'async function readUrl(url: string) { throw new Error("not yet"); }'));
		expect(result.lines.filter((line) => line.startsWith('✓'))).toEqual([]);
	});
	test('says so when the function is missing, without a stack trace', async () => {
		const result = await exercise1Result(undefined);
		expectFailSaying(result, 'readUrl is not a function yet');
		expect(result.lines.join('\n')).not.toMatch(/\n\s+at /);
	});
});

const two = solutionSource(2);

describe('exercise 2: count everything, show 3000', () => {
	test('passes the solution', async () => expectPass(await exercise2Result(compile('countAndShow', two))));
	test('fails counting only the body', async () => {
		const mistake = withMistake(two, 'return {shown, count};', "return {shown, count: count - (shown.indexOf('\\r\\n\\r\\n') + 4)};");
		expectFailSaying(await exercise2Result(compile('countAndShow', mistake)), 'is the body alone: count every character received, the headers too');
	});
	test('fails showing everything', async () => {
		expectFailSaying(await exercise2Result(compile('countAndShow', withMistake(two, '.slice(0, 3000 - shown.length)', ''))), 'show at most 3000');
	});
	test('fails forgetting the last, short read', async () => {
		const mistake = withMistake(two, 'count = count + data.length;', 'if (data.length === 512) count = count + data.length;');
		expectFailSaying(await exercise2Result(compile('countAndShow', mistake)), 'is the last piece counted?');
	});
	test('fails returning the wrong shape', async () => {
		expectFailSaying(await exercise2Result(compile('countAndShow', withMistake(two, 'return {shown, count};', 'return count;'))), 'not {shown, count}');
	});
});

const three = solutionSource(3);

describe('exercise 3: only what follows the headers', () => {
	test('passes the solution', async () => expectPass(await exercise3Result(compile('bodyAfterHeaders', one, three))));
	test("fails skipping only 2 of the blank line's 4 bytes", async () => {
		expectFailSaying(await exercise3Result(compile('bodyAfterHeaders', one, withMistake(three, 'blankLine + 4', 'blankLine + 2'))), 'the blank line is "\\r\\n\\r\\n", 4 bytes; skip all 4');
	});
	test('fails skipping 2 bytes too many', async () => {
		expectFailSaying(await exercise3Result(compile('bodyAfterHeaders', one, withMistake(three, 'blankLine + 4', 'blankLine + 6'))), 'the first 2 bytes are missing');
	});
	test('fails keeping the blank line', async () => {
		expectFailSaying(await exercise3Result(compile('bodyAfterHeaders', one, withMistake(three, 'blankLine + 4', 'blankLine'))), 'the 4 bytes of the blank line are still at the start');
	});
	test('fails turning the picture into text and back', async () => {
		const mistake = withMistake(three, 'return whole.subarray(blankLine + 4);', 'return Buffer.from(whole.subarray(blankLine + 4).toString());');
		expectFailSaying(await exercise3Result(compile('bodyAfterHeaders', one, mistake)), 'turned into text and back');
	});
});

const four = solutionSource(4);

describe('exercise 4: the same with fetch()', () => {
	test('passes the solution', async () => expectPass(await exercise4Result(compile('fetchAndCount', four))));
	test('fails using the raw socket instead of fetch()', async () => {
		const socketInstead = `${one}\nasync function fetchAndCount(url: string) {\n    const text = (await readUrl(url)).toString('latin1');\n    const body = text.slice(text.indexOf('\\r\\n\\r\\n') + 4);\n    return {shown: body.slice(0, 3000), count: body.length};\n}`;
		expectFailSaying(await exercise4Result(compile('fetchAndCount', socketInstead)), "not fetch()'s HTTP/1.1: use fetch(url)");
	});
	test('fails counting only what it shows', async () => {
		expectFailSaying(await exercise4Result(compile('fetchAndCount', withMistake(four, 'count: text.length', 'count: text.slice(0, 3000).length'))), 'is the last piece counted?');
	});
	test('fails showing everything', async () => {
		expectFailSaying(await exercise4Result(compile('fetchAndCount', withMistake(four, 'shown: text.slice(0, 3000)', 'shown: text'))), 'show at most 3000');
	});
});

const five = solutionSource(5);

describe('exercise 5: the sleep', () => {
	test("passes the solution: the book's second run with the sleep, segments without", async () => expectPass(await exercise5Result(compile('recvSizes', five))));
	test('fails sleeping before the first recv', async () => {
		const mistake = withMistake(
			withMistake(five, '        await sleep(delayMs);\n', ''),
			'        const data = await mysock.recv(5120);',
			'        await sleep(delayMs);\n        const data = await mysock.recv(5120);',
		);
		expectFailSaying(await exercise5Result(compile('recvSizes', mistake)), 'Sleep after each recv, not before the first');
	});
	test('fails returning running totals', async () => {
		const mistake = withMistake(
			withMistake(five, 'sizes.push(data.length);', 'total = total + data.length;\n        sizes.push(total);'),
			'const sizes: number[] = [];',
			'const sizes: number[] = [];\n    let total = 0;',
		);
		expectFailSaying(await exercise5Result(compile('recvSizes', mistake)), "return each recv's size, not the running total");
	});
	test('fails never sleeping', async () => {
		expectFailSaying(await exercise5Result(compile('recvSizes', withMistake(five, '        await sleep(delayMs);\n', ''))), 'as if there were no sleep');
	});
});
