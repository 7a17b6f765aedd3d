import type {ICodeCell, IOutput} from '@jupyterlab/nbformat';
import {spawnSync} from 'node:child_process';
import {mkdtemp, readFile, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import * as path from 'node:path';
import {fileURLToPath} from 'node:url';
import {describe, expect, onTestFinished, test} from 'vitest';
import {compareNotebooks} from '../../scripts/notebook-runner/compare.mjs';
import {installKernelSpec} from '../../scripts/notebook-runner/kernelspec.mjs';
import {projectJupyterEnv} from '../../scripts/support/jupyter-env.mjs';
import {lessonNotebookNames, lessonNotebookPath, PROJECT_JUPYTER_PATH} from '../../scripts/support/project-paths.mjs';
import {type Notebook, readNotebook} from '../../scripts/notebook-runner/notebook-file.mjs';
import {LESSON_EXPECTATIONS, missingInOrder, unexpectedErrorOutputs} from '../helpers/lesson-expectations.mjs';

// The same notebooks must also run under real Jupyter: Debian's nbconvert with the project-local
// kernelspec. With REQUIRE_JUPYTER=1 (CI) a missing Jupyter fails; otherwise these tests are skipped.
const NBCONVERT = ['/usr/bin/jupyter-nbconvert', 'jupyter-nbconvert'].find((command) => spawnSync(command, ['--version'], {encoding: 'utf8'}).status === 0);
const REQUIRED = process.env['REQUIRE_JUPYTER'] === '1';
if (!NBCONVERT && !REQUIRED) {
	console.warn('Skipping the nbconvert tests: jupyter-nbconvert is not installed (apt-get install jupyter-nbconvert python3-nbclient jupyter-client python3-ipykernel).');
}

interface Executed {
	readonly cells: ICodeCell[];
	/** The whole executed notebook, as nbconvert wrote it. */
	readonly notebook: Notebook;
}

/** Runs `jupyter nbconvert --to notebook --execute` on `file` and returns the executed notebook's code cells. */
async function nbconvertExecute(file: string): Promise<Executed> {
	await installKernelSpec(PROJECT_JUPYTER_PATH);
	const scratch = await mkdtemp(path.join(tmpdir(), 'lesson-nbconvert-'));
	onTestFinished(() => rm(scratch, {recursive: true, force: true}));
	const outputName = `${path.basename(file, '.ipynb')}.executed`;
	const result = spawnSync(NBCONVERT!, ['--to', 'notebook', '--execute', '--ExecutePreprocessor.timeout=300', '--output-dir', scratch, '--output', outputName, file], {
		encoding: 'utf8',
		env: projectJupyterEnv(scratch),
		timeout: 600_000,
	});
	expect(result.status, `nbconvert failed on ${file}:\n${result.stderr}`).toBe(0);
	const executed = JSON.parse(await readFile(path.join(scratch, `${outputName}.ipynb`), 'utf8')) as Notebook;
	return {cells: executed.cells.filter((cell): cell is ICodeCell => cell.cell_type === 'code'), notebook: executed};
}

function allOutputs(executed: Executed): IOutput[] {
	return executed.cells.flatMap((cell) => cell.outputs);
}

describe('jupyter nbconvert --execute', () => {
	test.runIf(REQUIRED && !NBCONVERT)('is installed (REQUIRE_JUPYTER=1)', () => {
		expect.fail('REQUIRE_JUPYTER=1 but jupyter-nbconvert is not installed: apt-get install jupyter-nbconvert python3-nbclient jupyter-client python3-ipykernel');
	});

	test.skipIf(!NBCONVERT)('runs a fixture notebook with the project-local tslab kernelspec', async () => {
		const executed = await nbconvertExecute(fileURLToPath(new URL('../fixtures/good.ipynb', import.meta.url)));
		expect(allOutputs(executed)).toContainEqual(expect.objectContaining({output_type: 'stream', name: 'stdout'}));
		expect(JSON.stringify(executed.cells)).toContain('hello 2');
	});

	test.skipIf(!NBCONVERT || lessonNotebookNames().length === 0).each(lessonNotebookNames())(
		'runs the lesson notebook %s with no error output, printing the chapter lines, as --check does',
		async (name) => {
			const executed = await nbconvertExecute(lessonNotebookPath(name));
			const outputs = allOutputs(executed);
			expect(unexpectedErrorOutputs(executed.cells)).toEqual([]);
			const stdout = outputs
				.filter((output) => output.output_type === 'stream')
				.map((output) => [output['text']].flat().join(''))
				.join('');
			const expectation = LESSON_EXPECTATIONS[name]!;
			expect(missingInOrder(stdout, expectation.stdout)).toEqual([]);
			for (const mime of expectation.displays) {
				expect(outputs.some((output) => output.output_type === 'display_data' && mime in (output['data'] as object))).toBe(true);
			}
			// Jupyter's own client and the project's runner agree: nbconvert's outputs match the stored ones
			// under the same sanitizers that `npm run lesson -- --check` applies (values, errors and all).
			expect(compareNotebooks(await readNotebook(lessonNotebookPath(name)), executed.notebook)).toBe('');
		},
		600_000,
	);
});
