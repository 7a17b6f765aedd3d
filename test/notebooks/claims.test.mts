/**
 * Sentences of the lesson's prose that are not printed by a cell, run as a learner would run them: a knob
 * changed, a mistake mended, the notebook run again. A sentence that goes stale fails here; the answers to
 * notebook 3's "Try it yourself" are in experiments.test.mts.
 */
import {cp, mkdir, mkdtemp, rm, symlink, writeFile} from 'node:fs/promises';
import * as path from 'node:path';
import {afterAll, beforeAll, describe, expect, test} from 'vitest';
import {readNotebook} from '../../scripts/notebook-runner/notebook-file.mjs';
import {lessonNotebookPath, PROJECT_ROOT} from '../../scripts/support/project-paths.mjs';
import {notebookStdout} from '../helpers/notebook-stdout.mjs';

/** The numbers of the "size count" lines of the first loop a notebook prints. */
function loopSizes(stdout: string): number[] {
	const lines = stdout.split('\n');
	const first = lines.findIndex((line) => /^\d+ \d+$/.test(line));
	const sizes: number[] = [];
	for (const line of lines.slice(first)) {
		const match = /^(\d+) \d+$/.exec(line);
		if (!match) break;
		sizes.push(Number(match[1]));
	}
	return sizes;
}

function numberAfter(stdout: string, pattern: RegExp): number {
	const match = pattern.exec(stdout);
	expect(match, `${pattern} in:\n${stdout}`).not.toBeNull();
	return Number(match![1]);
}

describe('what the lesson says, run', {timeout: 300_000}, () => {
	// A copy of a notebook, changed as a learner would change it, needs a folder beside the project's
	// package.json and dist/ so that its `import ... from '..'` finds the library, as in notebooks/.
	let scratch: string;
	beforeAll(async () => {
		await mkdir(path.join(PROJECT_ROOT, 'test-results'), {recursive: true});
		scratch = await mkdtemp(path.join(PROJECT_ROOT, 'test-results', 'claims-'));
		await mkdir(path.join(scratch, 'notebooks'));
		await cp(path.join(PROJECT_ROOT, 'package.json'), path.join(scratch, 'package.json'));
		await symlink(path.join(PROJECT_ROOT, 'dist'), path.join(scratch, 'dist'));
	});
	afterAll(async () => {
		if (scratch) await rm(scratch, {recursive: true, force: true});
	});

	test("notebook 1: the forgotten await, mended, prints the answer's 399 bytes, though it runs after the tidying-up", async () => {
		const notebook = await readNotebook(lessonNotebookPath('01-retrieve-text.ipynb'));
		const last = notebook.cells.at(-1)!;
		expect(last.metadata['tags']).toEqual(['raises-exception']);
		const source = [last.source].flat().join('');
		expect(source).toContain('const data = mistake.recv(RECV_SIZE);');
		last.source = source.replace('const data = mistake.recv(RECV_SIZE);', 'const data = await mistake.recv(RECV_SIZE);');
		last.metadata = {};
		const mended = path.join(scratch, 'notebooks', 'mended.ipynb');
		await writeFile(mended, JSON.stringify(notebook));
		expect((await notebookStdout(mended)).trimEnd().split('\n').at(-1)).toBe('399');
	});

	test("notebook 2: LINK = 'fast' gives full reads, 5120 thirteen times, then 3741", async () => {
		expect(loopSizes(await notebookStdout(lessonNotebookPath('02-retrieve-image.ipynb'), ['LINK=fast']))).toEqual([...Array<number>(13).fill(5120), 3741]);
	});

	test('notebook 3: without the sleep each recv waits about a segment gap, with it about nothing; the replica never waits; the idle reader shows a zero window and the starting buffer', async () => {
		const stdout = await notebookStdout(lessonNotebookPath('03-flow-control.ipynb'));
		expect(numberAfter(stdout, /Without the sleep, each recv waited about (\d+) ms/)).toBeGreaterThanOrEqual(20);
		expect(numberAfter(stdout, /Without the sleep, each recv waited about (\d+) ms/)).toBeLessThanOrEqual(40);
		expect(numberAfter(stdout, /Sleeping 250 ms, each recv waited about (-?\d+) ms/)).toBeLessThanOrEqual(5);
		expect(stdout).toContain('The replica had to wait for the reader 0 and 0 times.');
		// "still at its starting size, tcp_rmem's middle number", and the window it advertised is 0.
		const startingSize = numberAfter(stdout, /tcp_rmem: \d+ (\d+) \d+/);
		expect(numberAfter(stdout, /Reader: receive buffer (\d+) bytes/)).toBe(startingSize);
		expect(numberAfter(stdout, /Reader: receive buffer \d+ bytes, (\d+) bytes of data waiting/)).toBeLessThan(startingSize);
		expect(stdout).toContain('the window the reader last advertised: 0 (a zero window)');
	});
});
