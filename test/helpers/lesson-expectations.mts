import type {ICodeCell, IOutput} from '@jupyterlab/nbformat';

/** What each lesson notebook must show, wherever it runs: stored outputs, npm run lesson, nbconvert. */
import {RUN_1_HEADER, RUN_1_SIZES, RUN_2_HEADER, RUN_2_SIZES, runningCounts} from './chapter.js';

function sizeLines(sizes: readonly number[]): string {
	const counts = runningCounts(sizes);
	return sizes.map((size, index) => `${size} ${counts[index]}`).join('\n');
}

/** The header block as a notebook prints it: after `Header length 240`, one field a line. */
function headerBlock(header: string): string {
	return ['Header length 240', ...header.split('\r\n')].join('\n');
}

const ROMEO = ['But soft what light through yonder window breaks', 'It is the east and Juliet is the sun', 'Arise fair sun and kill the envious moon', 'Who is already sick and pale with grief'].join('\n');

export interface LessonExpectation {
	/** Text that must appear, in this order, in the notebook's stdout. */
	readonly stdout: string[];
	/** MIME types that must appear among its displays. */
	readonly displays: string[];
}

export const LESSON_EXPECTATIONS: Record<string, LessonExpectation> = {
	'01-retrieve-text.ipynb': {
		stdout: ['recv returned 399 bytes', 'HTTP/1.1 200 OK', 'Content-Length: 167', ROMEO, 'Status: 200 OK', ROMEO, 'RecvAfterEndError: recv on'],
		displays: [],
	},
	'02-retrieve-image.ipynb': {
		stdout: [
			sizeLines(RUN_1_SIZES),
			'Every size is the same as in the book.',
			// The replica's segments, as the reader's kernel measured them: 1460 bytes, not a loopback's.
			'The segments that reached this connection carried up to 1460 bytes of data each',
			headerBlock(RUN_1_HEADER),
			'Saved 70057 bytes to stuff.jpg',
		],
		displays: ['image/svg+xml', 'image/jpeg'],
	},
	'03-flow-control.ipynb': {
		stdout: [
			sizeLines(RUN_2_SIZES),
			headerBlock(RUN_2_HEADER),
			'recv 1 took 1460 bytes. Waiting in the receive buffer:',
			'reads without sleeping, 15 reads sleeping 250 ms after each recv.',
			'The replica had to wait for the reader 0 and 0 times.',
			"waited in the reader's receive buffer (in the kernel)",
			'(a zero window)',
		],
		displays: ['image/svg+xml'],
	},
	// The exercises as handed out: every check fails, in words, and the notebook runs to its end.
	'04-exercises.ipynb': {
		stdout: [1, 2, 3, 4, 5].flatMap((exercise) => [`Exercise ${exercise}: FAIL`, 'is not written yet']),
		displays: [],
	},
	'04-exercises-solutions.ipynb': {
		stdout: [
			'Exercise 1: PASS (read any URL: 4 of 4 checks)',
			'Exercise 2: PASS (count everything, show 3000: 4 of 4 checks)',
			'Exercise 3: PASS (only what follows the headers: 2 of 2 checks)',
			'Exercise 4: PASS (the same with fetch(): 4 of 4 checks)',
			'Exercise 5: PASS (recv sizes with and without the sleep: 2 of 2 checks)',
			"1460, 5120 x 13, 2281, the book's second run exactly",
		],
		displays: [],
	},
};

/** The expected pieces missing from `stdout`, in order; empty when all are there. */
export function missingInOrder(stdout: string, pieces: readonly string[]): string[] {
	const missing: string[] = [];
	let from = 0;
	for (const piece of pieces) {
		const at = stdout.indexOf(piece, from);
		if (at < 0) missing.push(piece);
		else from = at + piece.length;
	}
	return missing;
}

/** Whether a cell shows a mistake on purpose: tagged `raises-exception`, so its error output is expected. */
export function showsMistake(cell: ICodeCell): boolean {
	return [cell.metadata['tags']].flat().includes('raises-exception');
}

/** Error and stderr outputs of the cells that should have none (every cell that does not show a mistake). */
export function unexpectedErrorOutputs(cells: readonly ICodeCell[]): IOutput[] {
	return cells
		.filter((cell) => !showsMistake(cell))
		.flatMap((cell) => cell.outputs)
		.filter((output) => output.output_type === 'error' || (output.output_type === 'stream' && output['name'] === 'stderr'));
}
