/** Section 3: the whole lesson through npm run lesson against jupyter nbconvert --execute on the same notebooks. */
import {mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import * as path from 'node:path';
import {installKernelSpec, PROJECT_JUPYTER_PATH, PROJECT_ROOT, projectJupyterEnv} from '../notebook-runner/kernelspec.mjs';
import {alternate, fixed, median, timeCommand} from './stats.mjs';

export const NBCONVERT = '/usr/bin/jupyter-nbconvert';

export async function lessonVersusNbconvert(options: {runs: number; notebooks: string[]}): Promise<string[]> {
	await installKernelSpec(PROJECT_JUPYTER_PATH);
	const scratch = await mkdtemp(path.join(tmpdir(), 'lesson-bench-nbconvert-'));
	const files = options.notebooks.map((name) => path.join(PROJECT_ROOT, 'notebooks', name));
	const insideCells: number[] = [];
	try {
		const samples = await alternate(options.runs, {
			lesson: async () => {
				const result = await timeCommand(path.join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx'), ['scripts/lesson.mts', '--quiet', ...files], {cwd: PROJECT_ROOT});
				if (result.code !== 0) throw new Error(`npm run lesson failed:\n${result.stdout}${result.stderr}`);
				insideCells.push([...result.stdout.matchAll(/inside cells ([\d.]+) s/g)].reduce((sum, match) => sum + Number(match[1]) * 1000, 0));
				return result.wallMs;
			},
			nbconvert: async () => {
				const result = await timeCommand(NBCONVERT, ['--to', 'notebook', '--execute', '--output-dir', scratch, ...files], {
					env: projectJupyterEnv(scratch),
				});
				if (result.code !== 0) throw new Error(`nbconvert failed:\n${result.stderr}`);
				return result.wallMs;
			},
		});
		const [lesson, nbconvert, cells] = [median(samples.lesson), median(samples.nbconvert), median(insideCells)];
		return [
			`the lesson (${options.notebooks.join(', ')}): npm run lesson vs jupyter nbconvert --execute, wall time, median of ${options.runs} alternating runs`,
			`  npm run lesson ${fixed(lesson)} ms, nbconvert ${fixed(nbconvert)} ms: ${fixed(lesson / nbconvert, 2)}x nbconvert (target at most 1x)`,
			`  the cells themselves (the lesson's downloads and sleeps) take ${fixed(cells)} ms; our overhead beyond them ${fixed(lesson - cells)} ms ` +
				`(process start, ${options.notebooks.length} kernel start(s), messaging)`,
		];
	} finally {
		await rm(scratch, {recursive: true, force: true});
	}
}
