import type {IStream} from '@jupyterlab/nbformat';
import {expect} from 'vitest';
import {runNotebook} from '../../scripts/notebook-runner/run-notebook.mjs';

/** Runs a notebook as a learner would, with `params` in its parameters cell, and returns all it printed; a failing cell fails the test. */
export async function notebookStdout(file: string, params: readonly string[] = []): Promise<string> {
	let stdout = '';
	const result = await runNotebook(file, {
		params,
		onOutput: (output) => {
			if (output.output_type === 'stream' && (output as IStream).name === 'stdout') stdout += [(output as IStream).text].flat().join('');
		},
	});
	expect(result.failure, JSON.stringify(result.failure)).toBeUndefined();
	return stdout;
}
