/** `--check`: fresh outputs against the committed ones, after each notebook's own sanitizers. */
import type {IOutput, MultilineString} from '@jupyterlab/nbformat';
import {createHash} from 'node:crypto';
import {createPatch} from 'diff';
import {cellTags, isCodeCell, type Notebook} from './notebook-file.mjs';
import {joinText} from './outputs.mjs';

/** A rule for output that legitimately varies: every match of `pattern` becomes `replacement`. */
export interface Sanitizer {
	readonly pattern: string;
	readonly replacement: string;
	/** Regular expression flags; `g` is always added. */
	readonly flags?: string;
}

/**
 * The sanitizers a notebook declares in its metadata, as
 * `"lesson": {"sanitizers": [{"pattern": "\\d+ ms", "replacement": "N ms"}]}`.
 */
export function notebookSanitizers(notebook: Notebook): Sanitizer[] {
	const lesson = notebook.metadata['lesson'] as {sanitizers?: unknown} | undefined;
	const sanitizers = lesson?.sanitizers;
	if (sanitizers === undefined) return [];
	if (!Array.isArray(sanitizers) || !sanitizers.every((rule) => typeof rule?.pattern === 'string' && typeof rule?.replacement === 'string')) {
		throw new Error('metadata.lesson.sanitizers must be a list of {"pattern": "...", "replacement": "..."}');
	}
	return sanitizers as Sanitizer[];
}

/**
 * Sanitizers every notebook gets: tracebacks name the library's files by absolute path, which differs from
 * one checkout to the next, and by line and column, which move whenever the library is edited.
 */
const BUILT_IN_SANITIZERS: readonly Sanitizer[] = [
	{pattern: '(?:/[^\\s/():]+)+/node_modules/', replacement: '<node_modules>/'},
	{pattern: '(?:/[^\\s/():]+)+/(dist|lib)/((?:[^\\s/():]+/)*[^\\s/():]+\\.[cm]?[jt]s):\\d+:\\d+', replacement: '<project>/$1/$2:N:N'},
];

/** The outputs as comparable text: streams and text as they are, binary data by size and hash. */
export function renderOutputs(outputs: readonly IOutput[], sanitizers: readonly Sanitizer[]): string {
	const text = outputs.map(renderOutput).join('');
	return [...BUILT_IN_SANITIZERS, ...sanitizers].reduce((result, rule) => result.replace(new RegExp(rule.pattern, `${(rule.flags ?? '').replace('g', '')}g`), rule.replacement), text);
}

function renderOutput(output: IOutput): string {
	if (output.output_type === 'stream') return `--- ${String(output['name'])}\n${withNewline(joinText(output['text'] as MultilineString))}`;
	if (output.output_type === 'error') {
		const traceback = Array.isArray(output['traceback']) ? (output['traceback'] as unknown[]).map(String) : [];
		return `--- error\n${String(output['ename'])}: ${String(output['evalue'])}\n${traceback.map((line) => `${line}\n`).join('')}`;
	}
	const data = (output['data'] ?? {}) as Record<string, unknown>;
	return Object.keys(data)
		.sort()
		.map((mime) => {
			const value = data[mime];
			const text = typeof value === 'string' || Array.isArray(value) ? joinText(value as MultilineString) : JSON.stringify(value);
			if (mime.startsWith('image/') && mime !== 'image/svg+xml') {
				const bytes = Buffer.from(text, 'base64');
				return `--- ${output.output_type} ${mime}\n${bytes.length} bytes, sha256 ${createHash('sha256').update(bytes).digest('hex').slice(0, 16)}\n`;
			}
			return `--- ${output.output_type} ${mime}\n${withNewline(text)}`;
		})
		.join('');
}

function withNewline(text: string): string {
	return text.endsWith('\n') || text === '' ? text : `${text}\n`;
}

/** A unified diff of one cell's outputs, committed then fresh; empty when they match. */
export function diffOutputs(label: string, committed: string, fresh: string): string {
	if (committed === fresh) return '';
	return createPatch(label, committed, fresh, 'committed', 'fresh', {context: 2}).split('\n').slice(2).join('\n');
}

/** A diff per code cell whose sanitized outputs differ; empty when all match. */
export function compareNotebooks(committed: Notebook, fresh: Notebook): string {
	const sanitizers = notebookSanitizers(committed);
	// Cells are matched by id (nbformat 4.5), else by position: an id-less 4.4 notebook keeps its order.
	const freshById = new Map(fresh.cells.filter((cell) => typeof cell.id === 'string').map((cell) => [cell.id, cell]));
	const diffs: string[] = [];
	let codeCellNumber = 0;
	for (const [index, cell] of committed.cells.entries()) {
		if (!isCodeCell(cell)) continue;
		codeCellNumber += 1;
		if (cellTags(cell).includes('skip-execution')) continue;
		const freshCell = (typeof cell.id === 'string' ? freshById.get(cell.id) : undefined) ?? fresh.cells[index];
		const freshOutputs = freshCell && isCodeCell(freshCell) ? freshCell.outputs : [];
		const label = `code cell ${codeCellNumber} (cell ${index + 1} in the file)`;
		diffs.push(diffOutputs(label, renderOutputs(cell.outputs, sanitizers), renderOutputs(freshOutputs, sanitizers)));
	}
	return diffs.filter(Boolean).join('\n');
}
