/** What each lesson notebook must show, wherever it runs: stored outputs, npm run lesson, nbconvert. */

const RUN_1_SIZES = [2920, ...Array<number>(42).fill(1460), 2920, 1460, 1681];
const RUN_2_SIZES = [1460, ...Array<number>(13).fill(5120), 2281];

function sizeLines(sizes: number[]): string {
	let count = 0;
	return sizes.map((size) => `${size} ${(count += size)}`).join('\n');
}

function headerBlock(date: string): string {
	return [
		'Header length 240',
		'HTTP/1.1 200 OK',
		`Date: ${date}`,
		'Server: Apache',
		'Last-Modified: Sat, 02 Nov 2013 02:01:26 GMT',
		'ETag: "19c141-111a9-4ea280f8354b8"',
		'Accept-Ranges: bytes',
		'Content-Length: 70057',
		'Connection: close',
		'Content-Type: image/jpeg',
	].join('\n');
}

const ROMEO = [
	'But soft what light through yonder window breaks',
	'It is the east and Juliet is the sun',
	'Arise fair sun and kill the envious moon',
	'Who is already sick and pale with grief',
].join('\n');

export interface LessonExpectation {
	/** Text that must appear, in this order, in the notebook's stdout. */
	readonly stdout: string[];
	/** MIME types that must appear among its displays. */
	readonly displays: string[];
}

export const LESSON_EXPECTATIONS: Record<string, LessonExpectation> = {
	'01-retrieve-text.ipynb': {stdout: ['HTTP/1.1 200 OK', 'Content-Length: 167', ROMEO, 'Status: 200 OK', ROMEO], displays: []},
	'02-retrieve-image.ipynb': {
		stdout: [sizeLines(RUN_1_SIZES), headerBlock('Sat, 02 Nov 2013 02:15:07 GMT'), 'Saved 70057 bytes to stuff.jpg'],
		displays: ['image/jpeg'],
	},
	'03-flow-control.ipynb': {
		stdout: [sizeLines(RUN_2_SIZES), headerBlock('Sat, 02 Nov 2013 02:22:04 GMT'), 'without sleep: 46 reads; with the sleep: 15 reads'],
		displays: ['image/svg+xml'],
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
