/**
 * What runNotebook asks of a kernel and how it judges the answers, against a fake kernel process
 * (test/helpers/fake-kernel-process.mts) that records every execute_request: which cells are sent, once each,
 * with which stop_on_error, and the verdicts that depend on the runner alone. The fixtures are the ones the
 * real-kernel tests use; the fake is told what each cell's code does. What only tslab shows stays in
 * run-notebook.test.mts.
 */
import type {ICodeCell, IStream} from '@jupyterlab/nbformat';
import {mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import * as path from 'node:path';
import {fileURLToPath} from 'node:url';
import {describe, expect, onTestFinished, test} from 'vitest';
import {isCodeCell} from '../../scripts/notebook-runner/notebook-file.mjs';
import {type RunOptions, type RunResult, runNotebook} from '../../scripts/notebook-runner/run-notebook.mjs';
import type {FakeCell, ReceivedExecute} from '../helpers/fake-kernel.mjs';
import {fakeKernelSpec, recordedExecutes} from '../helpers/fake-kernel-spec.mjs';
import {newMarker, processesLeftAfter} from '../helpers/processes.js';

const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/${name}.ipynb`, import.meta.url));

/** The warm-up cell the runner sends first, silent (see run-notebook.mts). */
const WARM_UP = {code: 'undefined', silent: true, stopOnError: true, status: 'ok'};

/** Runs fixture `name` on a fake kernel whose cells do what `cells` says; returns the result and what the kernel was sent. */
async function runOnFake(
	name: string,
	cells: Readonly<Record<string, FakeCell>>,
	options: RunOptions = {},
): Promise<{result: RunResult; sent: Array<Pick<ReceivedExecute, 'code' | 'silent' | 'stopOnError' | 'status'>>}> {
	const scratch = await mkdtemp(path.join(tmpdir(), 'lesson-fake-'));
	onTestFinished(() => rm(scratch, {recursive: true, force: true}));
	const record = path.join(scratch, 'executes.jsonl');
	const marker = newMarker();
	const result = await runNotebook(fixture(name), {...options, kernelSpec: fakeKernelSpec(cells, record, {LESSON_TEST_MARK: marker})});
	expect(await processesLeftAfter(marker)).toEqual([]);
	const sent = (await recordedExecutes(record)).map(({code, silent, stopOnError, status}) => ({code, silent, stopOnError, status}));
	return {result, sent};
}

const stdoutOf = (cell: ICodeCell | undefined): string =>
	(cell?.outputs ?? [])
		.filter((output): output is IStream => output.output_type === 'stream')
		.map((output) => [output.text].flat().join(''))
		.join('');

describe('runNotebook on a fake kernel', () => {
	test('sends a cell tagged raises-exception without stop_on_error, so the next cell runs at its first sending', async () => {
		const {result, sent} = await runOnFake('raises', {'throw new Error("expected failure");': {fails: true}, 'console.log("still runs");': {stdout: 'still runs\n'}});
		expect(result.failure).toBeUndefined();
		expect(sent).toEqual([
			WARM_UP,
			{code: 'throw new Error("expected failure");', silent: false, stopOnError: false, status: 'error'},
			{code: 'console.log("still runs");', silent: false, stopOnError: true, status: 'ok'},
		]);
		expect(stdoutOf(result.notebook.cells.filter(isCodeCell)[1])).toBe('still runs\n');
	});

	test('stops at an untagged cell that raises, sent with stop_on_error, and sends nothing after it', async () => {
		const throwing = 'const value: number = 41;\nthrow new Error(`boom at ${value + 1}`);';
		const {result, sent} = await runOnFake('throws', {'console.log("before");': {stdout: 'before\n'}, [throwing]: {fails: true}});
		expect(result.failure).toMatchObject({kind: 'error', codeCellNumber: 2, fileCellNumber: 3, source: throwing});
		expect(result.failure?.message).toBe(`Error: ${throwing} failed`);
		expect(result.codeCellsRun).toBe(2);
		expect(sent.map(({code, stopOnError, status}) => ({code, stopOnError, status}))).toEqual([
			{code: 'undefined', stopOnError: true, status: 'ok'},
			{code: 'console.log("before");', stopOnError: true, status: 'ok'},
			{code: throwing, stopOnError: true, status: 'error'},
		]);
	});

	test('with keepGoing sends every cell once without stop_on_error, and lists each failure', async () => {
		const {result, sent} = await runOnFake(
			'fails-twice',
			{'throw new Error("first failure");': {fails: true}, 'const count: number = "two";': {fails: true}, 'console.log("third runs");': {stdout: 'third runs\n'}},
			{keepGoing: true},
		);
		expect(result.failures.map(({kind, codeCellNumber}) => ({kind, codeCellNumber}))).toEqual([
			{kind: 'error', codeCellNumber: 1},
			{kind: 'error', codeCellNumber: 2},
		]);
		expect(result.codeCellsRun).toBe(3);
		expect(sent.slice(1).map(({code, stopOnError, status}) => ({code, stopOnError, status}))).toEqual([
			{code: 'throw new Error("first failure");', stopOnError: false, status: 'error'},
			{code: 'const count: number = "two";', stopOnError: false, status: 'error'},
			{code: 'console.log("third runs");', stopOnError: false, status: 'ok'},
		]);
	});

	test('fails a cell tagged raises-exception that raises nothing', async () => {
		const {result} = await runOnFake('raises-not', {'console.log("no error here");': {stdout: 'no error here\n'}});
		expect(result.failure).toMatchObject({kind: 'missing-error', codeCellNumber: 1});
	});

	test('does not send a cell tagged skip-execution, and keeps its stored outputs', async () => {
		const {result, sent} = await runOnFake('skip', {'throw new Error("must not run");': {fails: true}, 'console.log("runs");': {stdout: 'runs\n'}});
		expect(result.failure).toBeUndefined();
		expect(result.codeCellsRun).toBe(1);
		expect(sent.map(({code}) => code)).toEqual(['undefined', 'console.log("runs");']);
		expect(result.notebook.cells.filter(isCodeCell).map(stdoutOf)).toEqual(['kept as stored\n', 'runs\n']);
	});

	test('stops at the whole-notebook time limit, interrupting the cell that holds it', async () => {
		// The limit counts the kernel's start too: long enough for a fake kernel to start on a busy machine.
		const hangs = {'console.log("waiting forever");\nawait new Promise(() => {});': {stdout: 'waiting forever\n', hangs: true}};
		const {result, sent} = await runOnFake('hangs', hangs, {notebookTimeoutMs: 15_000});
		expect(result.failure).toMatchObject({kind: 'notebook-timeout', codeCellNumber: 1});
		expect(result.failure?.message).toContain('interrupted after');
		expect(sent.map(({status}) => status)).toEqual(['ok', 'error']);
	});
});
