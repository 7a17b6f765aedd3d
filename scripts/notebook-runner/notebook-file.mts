/** Reading and writing .ipynb files the way Jupyter does, so that a rewrite changes only what changed. */
import type {ICell, ICodeCell, INotebookContent, IOutput, MultilineString} from '@jupyterlab/nbformat';
import {randomUUID} from 'node:crypto';
import {chmod, readFile, rename, rm, stat, writeFile} from 'node:fs/promises';
import * as path from 'node:path';
import {joinText} from './outputs.mjs';

export type Notebook = INotebookContent;

export class NotebookFileError extends Error {}

export async function readNotebook(file: string): Promise<Notebook> {
	let text: string;
	try {
		text = await readFile(file, 'utf8');
	} catch (error) {
		throw new NotebookFileError(`Cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
	}
	return parseNotebook(text, file);
}

/** A notebook from its JSON text; `name` says which file in the errors. */
export function parseNotebook(text: string, name: string): Notebook {
	let notebook: Notebook;
	try {
		notebook = JSON.parse(text) as Notebook;
	} catch (error) {
		throw new NotebookFileError(`${name} is not valid JSON: ${(error as Error).message}`);
	}
	if (notebook === null || typeof notebook !== 'object' || notebook.nbformat !== 4 || !Array.isArray(notebook.cells)) {
		throw new NotebookFileError(`${name} is not an nbformat 4 notebook (nbformat ${String(notebook?.nbformat)})`);
	}
	const isText = (value: unknown): boolean => typeof value === 'string' || (Array.isArray(value) && value.every((line) => typeof line === 'string'));
	for (const [index, cell] of notebook.cells.entries()) {
		const shapeless = cell === null || typeof cell !== 'object' || typeof cell.cell_type !== 'string' || !isText(cell.source);
		if (shapeless) throw new NotebookFileError(`${name}: cell ${index + 1} has no cell_type or no source text, as nbformat 4 requires`);
		if (cell.metadata === undefined || cell.metadata === null) cell.metadata = {};
	}
	return notebook;
}

export function cellSource(cell: ICell): string {
	return joinText(cell.source);
}

export function isCodeCell(cell: ICell): cell is ICodeCell {
	return cell.cell_type === 'code';
}

export function cellTags(cell: ICell): string[] {
	const tags = cell.metadata['tags'];
	return Array.isArray(tags) ? tags.filter((tag): tag is string => typeof tag === 'string') : [];
}

/**
 * The notebook as it should be stored: nbformat 4.5 (every cell has an id), null execution counts,
 * no execution timing metadata.
 */
export function normalizeNotebook(notebook: Notebook): Notebook {
	const cells = notebook.cells.map((cell) => {
		const metadata = {...cell.metadata};
		delete metadata['execution'];
		const id = typeof cell['id'] === 'string' && cell['id'] ? cell['id'] : randomUUID().slice(0, 8);
		if (!isCodeCell(cell)) return {...cell, id, metadata};
		const outputs = cell.outputs.map((output) => ('execution_count' in output ? {...output, execution_count: null} : output));
		return {...cell, id, metadata, execution_count: null, outputs};
	});
	return {...notebook, nbformat: 4, nbformat_minor: Math.max(5, notebook.nbformat_minor), cells};
}

/** JSON as Jupyter writes notebooks: keys sorted, one-space indent, multiline strings as lists of lines. */
export function serializeNotebook(notebook: Notebook): string {
	return `${JSON.stringify(sortKeys(splitMultiline(normalizeNotebook(notebook))), null, 1)}\n`;
}

/**
 * Writes the notebook atomically: a temporary file beside it, then a rename, so a crash never leaves half a
 * file. Replacing a notebook keeps its file mode. `unchangedSince`: the file's text when it was read; if it
 * is different now (someone edited the notebook while it ran), nothing is written, and neither is it over
 * a read-only notebook. Both are a NotebookFileError that says so.
 */
export async function writeNotebook(file: string, notebook: Notebook, options: {unchangedSince?: string} = {}): Promise<void> {
	const existing = await stat(file).catch(() => undefined);
	if (options.unchangedSince !== undefined) {
		if (existing && (existing.mode & 0o222) === 0) throw new NotebookFileError(`${file} is read-only: not updated`);
		const now = await readFile(file, 'utf8').catch(() => undefined);
		if (now !== options.unchangedSince) {
			throw new NotebookFileError(`${file} ${now === undefined ? 'is gone' : 'was changed'} while it ran: not overwritten, so no edit is lost`);
		}
	}
	const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
	try {
		await writeFile(temporary, serializeNotebook(notebook), existing ? {mode: existing.mode & 0o7777} : {});
		if (existing) await chmod(temporary, existing.mode & 0o7777);
		await rename(temporary, file);
	} catch (error) {
		await rm(temporary, {force: true});
		throw new NotebookFileError(`Cannot write ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
	}
}

/** Splits after each newline, as nbformat stores source, stream text and text/* data. */
export function splitLines(text: string): string[] {
	return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

function splitMultiline(notebook: Notebook): Notebook {
	const cells = notebook.cells.map((cell) => {
		const split: ICell = {...cell, source: splitLines(cellSource(cell))};
		if (!isCodeCell(cell)) return split;
		return {...split, outputs: cell.outputs.map(splitOutput)} as ICodeCell;
	});
	return {...notebook, cells};
}

function splitOutput(output: IOutput): IOutput {
	if (output.output_type === 'stream') return {...output, text: splitLines(joinText(output['text'] as MultilineString))};
	const data = output['data'] as Record<string, unknown> | undefined;
	if (!data) return output;
	const splitData = Object.fromEntries(
		Object.entries(data).map(([mime, value]) => {
			const isText = mime.startsWith('text/') || mime === 'image/svg+xml';
			const text = typeof value === 'string' || Array.isArray(value) ? joinText(value as MultilineString) : undefined;
			return [mime, isText && text !== undefined ? splitLines(text) : value];
		}),
	);
	return {...output, data: splitData} as IOutput;
}

function sortKeys(value: unknown): unknown {
	if (Array.isArray(value)) return value.map(sortKeys);
	if (value === null || typeof value !== 'object') return value;
	return Object.fromEntries(
		Object.keys(value)
			.sort()
			.map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
	);
}
