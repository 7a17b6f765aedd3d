import type {ICodeCell, IOutput} from '@jupyterlab/nbformat';
import {readFile} from 'node:fs/promises';
import {describe, expect, test} from 'vitest';
import {compareNotebooks} from '../../scripts/notebook-runner/compare.mjs';
import {readNotebook} from '../../scripts/notebook-runner/notebook-file.mjs';
import {runNotebook} from '../../scripts/notebook-runner/run-notebook.mjs';
import {LESSON_EXPECTATIONS, missingInOrder, showsMistake, unexpectedErrorOutputs} from '../helpers/lesson-expectations.mjs';
import {lessonNotebookNames, lessonNotebookPath} from '../../scripts/support/project-paths.mjs';

const names = lessonNotebookNames();
const text = (value: unknown): string => [value].flat().join('');

function stdoutOf(cells: ICodeCell[]): string {
	return cells
		.flatMap((cell) => cell.outputs)
		.filter((output) => output.output_type === 'stream' && output['name'] === 'stdout')
		.map((output) => text(output['text']))
		.join('');
}

function displays(cells: ICodeCell[]): IOutput[] {
	return cells.flatMap((cell) => cell.outputs).filter((output) => output.output_type === 'display_data');
}

test('the lesson has its notebooks (three chapters, the exercises and their solutions), and expectations for each', () => {
	expect(names).toEqual(Object.keys(LESSON_EXPECTATIONS).sort());
});

describe.each(names)('%s as committed', (name) => {
	const load = async () => JSON.parse(await readFile(lessonNotebookPath(name), 'utf8'));

	test('is nbformat 4.5 with cell ids, the tslab kernelspec and null execution counts', async () => {
		const notebook = await load();
		expect([notebook.nbformat, notebook.nbformat_minor]).toEqual([4, 5]);
		expect(notebook.metadata.kernelspec.name).toBe('tslab');
		const ids = notebook.cells.map((cell: {id: string}) => cell.id);
		expect(new Set(ids).size).toBe(ids.length);
		for (const cell of notebook.cells.filter((cell: {cell_type: string}) => cell.cell_type === 'code')) {
			expect(cell.execution_count).toBeNull();
			expect(cell.metadata.execution).toBeUndefined();
		}
	});

	test('introduces its first code cell with prose, and has exactly one parameters cell', async () => {
		const notebook = await load();
		expect(notebook.cells[0].cell_type).toBe('markdown');
		const parameterCells = notebook.cells.filter((cell: {metadata: {tags?: string[]}}) => cell.metadata.tags?.includes('parameters'));
		expect(parameterCells).toHaveLength(1);
	});

	test('stores the chapter output, with error output only where a mistake is shown on purpose, last', async () => {
		const notebook = await load();
		const cells = notebook.cells.filter((cell: {cell_type: string}) => cell.cell_type === 'code') as ICodeCell[];
		expect(unexpectedErrorOutputs(cells)).toEqual([]);
		// A failing cell stops "Run All" in Jupyter, so it may only be the last one.
		expect(cells.slice(0, -1).filter(showsMistake)).toEqual([]);
		// The mistake is shown as Jupyter shows errors: its name, message, and the cell's line marked with carets.
		for (const cell of cells.filter(showsMistake)) {
			const errors = cell.outputs.filter((output) => output.output_type === 'error');
			expect(errors).toHaveLength(1);
			const traceback = (errors[0]!['traceback'] as string[]).join('\n');
			expect(traceback).toMatch(/Cell In\[\d+\], line \d+, column \d+: /);
			expect(traceback).toMatch(/\n {4} *\^+/);
			expect(cell.outputs.filter((output) => output['name'] === 'stderr')).toEqual([]);
		}
		const expectation = LESSON_EXPECTATIONS[name]!;
		expect(missingInOrder(stdoutOf(cells), expectation.stdout)).toEqual([]);
		for (const mime of expectation.displays) expect(displays(cells).some((output) => mime in (output['data'] as object))).toBe(true);
	});
});

test('the image notebook shows the 70057-byte JPEG inline', async () => {
	const notebook = JSON.parse(await readFile(lessonNotebookPath('02-retrieve-image.ipynb'), 'utf8'));
	const jpeg = displays(notebook.cells.filter((cell: {cell_type: string}) => cell.cell_type === 'code')).find((output) => 'image/jpeg' in (output['data'] as object));
	expect(jpeg, 'no display with an image/jpeg').toBeDefined();
	const bytes = Buffer.from(text((jpeg!['data'] as Record<string, unknown>)['image/jpeg']), 'base64');
	expect(bytes.length).toBe(70057);
	expect(bytes.subarray(0, 2).toString('hex')).toBe('ffd8');
});

// Each notebook, run through the real tslab kernel, must print what it has stored (npm run lesson --check),
// so that a notebook that stopped running or changed its output cannot land.
test.each(names)(
	'%s runs without error and matches its stored outputs',
	async (name) => {
		const file = lessonNotebookPath(name);
		const result = await runNotebook(file);
		expect(result.failure, JSON.stringify(result.failure, null, 1)).toBeUndefined();
		expect(compareNotebooks(await readNotebook(file), result.notebook)).toBe('');
	},
	300_000,
);
