import type {ICodeCell, IDisplayData, IStream} from '@jupyterlab/nbformat';
import {mkdir, mkdtemp, readdir, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import * as path from 'node:path';
import {fileURLToPath} from 'node:url';
import {describe, expect, onTestFinished, test} from 'vitest';
import {Kernel} from '../../scripts/notebook-runner/kernel.mjs';
import {projectKernelSpec} from '../../scripts/notebook-runner/kernelspec.mjs';
import {isCodeCell, type Notebook} from '../../scripts/notebook-runner/notebook-file.mjs';
import {type RunOptions, runNotebook} from '../../scripts/notebook-runner/run-notebook.mjs';
import {newMarker, processesLeftAfter} from '../helpers/processes.js';

const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/${name}.ipynb`, import.meta.url));

/** Runs a fixture with a marked kernel and checks that nothing it started outlives the run. */
async function run(name: string, options: RunOptions = {}) {
	const marker = newMarker();
	const result = await runNotebook(fixture(name), {...options, kernelSpec: {...projectKernelSpec('tslab'), env: {LESSON_TEST_MARK: marker}}});
	expect(await processesLeftAfter(marker)).toEqual([]);
	return result;
}

function codeCells(notebook: Notebook): ICodeCell[] {
	return notebook.cells.filter(isCodeCell);
}

function streamText(cell: ICodeCell | undefined): string {
	return (cell?.outputs ?? [])
		.filter((output): output is IStream => output.output_type === 'stream')
		.map((output) => [output.text].flat().join(''))
		.join('');
}

describe('runNotebook', () => {
	test('runs the code cells in order in the notebook folder and collects their stdout', async () => {
		const result = await run('good');
		expect(result.failure).toBeUndefined();
		expect(result.codeCellsRun).toBe(2);
		const [first, second] = codeCells(result.notebook);
		expect(streamText(first)).toBe('hello 2\n');
		// A cell's last expression is its value, shown as Out[n] (an execute_result), not printed.
		expect(second?.outputs).toEqual([{output_type: 'execute_result', data: {'text/plain': '5'}, metadata: {}, execution_count: null}]);
	});

	test('names the failing code cell, its place in the file, its source and the error, and runs no further', async () => {
		const result = await run('throws');
		expect(result.failure).toMatchObject({kind: 'error', codeCellNumber: 2, fileCellNumber: 3});
		expect(result.failure?.source).toContain('throw new Error');
		expect(result.failure?.message).toContain('Error: boom at 42');
		expect(result.codeCellsRun).toBe(2);
		expect(streamText(codeCells(result.notebook)[2])).toBe('');
	});

	test('fails on a type error, with the compiler message', async () => {
		const result = await run('type-error');
		expect(result.failure).toMatchObject({kind: 'error', codeCellNumber: 1});
		expect(result.failure?.message).toContain("Type 'string' is not assignable to type 'number'");
	});

	test.each(['hangs', 'busy-loop'])('interrupts a cell that outlives its time limit (%s)', async (name) => {
		const started = Date.now();
		const result = await run(name, {cellTimeoutMs: 2000});
		expect(result.failure).toMatchObject({kind: 'timeout', codeCellNumber: 1});
		expect(result.failure?.message).toContain('interrupted after 2 s');
		expect(Date.now() - started).toBeLessThan(30_000);
	});

	test('reports a kernel that dies mid-cell as such', async () => {
		const result = await run('exits');
		expect(result.failure).toMatchObject({kind: 'kernel-died', codeCellNumber: 1});
		expect(result.failure?.message).toContain('exited with code 3');
	});

	test('accepts an error from a cell tagged raises-exception and runs the next cell at its first sending', async () => {
		const result = await run('raises');
		// An abort of the next cell would fail the run: the runner sends every cell once.
		expect(result.failure).toBeUndefined();
		expect(result.codeCellsRun).toBe(2);
		expect(codeCells(result.notebook)[0]?.outputs).toEqual([expect.objectContaining({output_type: 'error', evalue: 'expected failure'})]);
		expect(streamText(codeCells(result.notebook)[1])).toBe('still runs\n');
	});

	test("with keepGoing (nbclient's allow_errors) runs every cell, each after a failed one at its first sending", async () => {
		const result = await run('fails-twice', {keepGoing: true});
		expect(result.codeCellsRun).toBe(3);
		expect(result.failures.map(({kind, codeCellNumber}) => ({kind, codeCellNumber}))).toEqual([
			{kind: 'error', codeCellNumber: 1},
			{kind: 'error', codeCellNumber: 2},
		]);
		expect(result.failures[0]?.message).toContain('Error: first failure');
		// Not aborted: the kernel compiled it and said what is wrong with it.
		expect(result.failures[1]?.message).toContain("Type 'string' is not assignable to type 'number'");
		expect(streamText(codeCells(result.notebook)[2])).toBe('third runs\n');
	});

	test('injects --param values after the parameters cell, typed like their declarations', async () => {
		const result = await run('parameters', {params: ['DELAY_MS=250', 'LINK=book-run-2', 'LIVE=true']});
		expect(result.failure).toBeUndefined();
		const cells = codeCells(result.notebook);
		expect(cells[1]?.metadata['tags']).toEqual(['injected-parameters']);
		expect([cells[1]?.source].flat().join('')).toContain('const DELAY_MS: number = 250;');
		expect(streamText(cells[2])).toBe('251 BOOK-RUN-2 false\n');
	});

	test('numbers cells as in the file even with an injected parameters cell', async () => {
		const result = await run('parameters-fails', {params: ['LIMIT=5']});
		expect(result.failure).toMatchObject({kind: 'error', codeCellNumber: 2, fileCellNumber: 2});
		expect(result.failure?.message).toContain('limit 5 is too high');
	});

	test.each([
		{params: ['DELAY_MS=soon'], message: 'DELAY_MS must be a decimal number, got "soon"'},
		{params: ['LIVE=yes'], message: 'LIVE must be true or false'},
		{params: ['SPEED=3'], message: 'declares no such name (it declares: DELAY_MS, LINK, LIVE)'},
		{params: ['nonsense'], message: 'takes NAME=VALUE'},
	])('refuses --param $params.0 before starting a kernel', async ({params, message}) => {
		await expect(runNotebook(fixture('parameters'), {params})).rejects.toThrow(message);
	});

	test('refuses --param for a notebook without a parameters cell', async () => {
		await expect(runNotebook(fixture('good'), {params: ['X=1']})).rejects.toThrow('tagged "parameters"');
	});

	test('keeps displays, updates a display in place, and loses no output printed by a timer after its cell ended', async () => {
		const result = await run('displays');
		expect(result.failure).toBeUndefined();
		const [first, second, third] = codeCells(result.notebook);
		const displays = (first?.outputs ?? []) as IDisplayData[];
		expect(displays[0]?.data['text/html']).toBe('<b>bold</b>');
		expect(displays[1]?.data['text/plain']).toBe('100%');
		expect(displays).toHaveLength(2);
		// The timer fires while the third cell runs, and tslab (so Jupyter too) shows its line under that cell.
		expect(streamText(second)).toBe('timer started\n');
		expect(streamText(third)).toBe('late line\ndone\n');
	});

	test('loads the library from its compiled output, as the lesson notebooks do', async () => {
		const result = await run('imports-library');
		expect(result.failure).toBeUndefined();
		expect(streamText(codeCells(result.notebook)[0])).toBe('Header length 21\n');
	});

	test.each(['leaves-child', 'leaves-detached-child'])('leaves no process behind, not even one a cell started (%s)', async (name) => {
		const result = await run(name);
		expect(streamText(codeCells(result.notebook)[0])).toMatch(/^child \d+\n$/);
	});

	test('says which notebook is unreadable', async () => {
		await expect(runNotebook(fixture('no-such-notebook'))).rejects.toThrow(/Cannot read .*no-such-notebook.ipynb: ENOENT/);
	});
});

describe('Kernel.start', () => {
	test('refuses at once, naming TMPDIR, a temporary folder too deep for the Unix sockets of a kernel', async () => {
		const deep = path.join(await mkdtemp(path.join(tmpdir(), 'lesson-deep-')), 'x'.repeat(100));
		await mkdir(deep);
		onTestFinished(() => rm(path.dirname(deep), {recursive: true, force: true}));
		const tmpdirBefore = process.env['TMPDIR'];
		process.env['TMPDIR'] = deep;
		onTestFinished(() => {
			if (tmpdirBefore === undefined) delete process.env['TMPDIR'];
			else process.env['TMPDIR'] = tmpdirBefore;
		});
		// At once: tslab, unable to bind, would only log it and never answer.
		await expect(Kernel.start(projectKernelSpec('tslab'), {cwd: deep})).rejects.toThrow(/socket path .* is longer than 107 bytes: set TMPDIR/);
		expect(await readdir(deep)).toEqual([]);
	});
});
