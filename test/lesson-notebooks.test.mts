import {describe, expect, test} from 'vitest';
import {compareNotebooks} from '../scripts/notebook-runner/compare.mjs';
import {readNotebook} from '../scripts/notebook-runner/notebook-file.mjs';
import {runNotebook} from '../scripts/notebook-runner/run-notebook.mjs';
import {lessonNotebookNames, lessonNotebookPath} from './helpers/lesson-notebooks.mjs';

// Each lesson notebook, run through the real tslab kernel, must print exactly what it has stored
// (npm run lesson -- --check), so a notebook that stopped running or changed its output cannot land.
const names = lessonNotebookNames();

describe.skipIf(names.length === 0)('the lesson notebooks', () => {
	test.each(names)('%s runs without error and matches its stored outputs', async (name) => {
		const file = lessonNotebookPath(name);
		const result = await runNotebook(file);
		expect(result.failure, JSON.stringify(result.failure, null, 1)).toBeUndefined();
		expect(compareNotebooks(await readNotebook(file), result.notebook)).toBe('');
	}, 300_000);
});
