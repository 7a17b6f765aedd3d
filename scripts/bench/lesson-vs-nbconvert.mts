/** Section 3: the whole lesson through npm run lesson against jupyter nbconvert --execute on the same notebooks. */
import {cp, mkdir, mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import * as path from 'node:path';
import {installKernelSpec} from '../notebook-runner/kernelspec.mjs';
import {projectJupyterEnv} from '../support/jupyter-env.mjs';
import {PROJECT_JUPYTER_PATH, PROJECT_ROOT} from '../support/project-paths.mjs';
import {DEFAULT_JOBS} from '../notebook-runner/pool.mjs';
import {alternate, type CommandResult, fixed, median, timeCommand} from './stats.mjs';

export const NBCONVERT = '/usr/bin/jupyter-nbconvert';
const TSX = path.join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx');

/** Runs `npm run lesson -- --quiet ARGS` to its end; throws if it fails. */
async function runLesson(args: readonly string[]): Promise<CommandResult> {
	const result = await timeCommand(TSX, ['scripts/lesson.mts', '--quiet', ...args], {cwd: PROJECT_ROOT});
	if (result.code !== 0) throw new Error(`npm run lesson failed:\n${result.stdout}${result.stderr}`);
	return result;
}

/**
 * Grading a class: `npm run grade` on `copies` copies of the solutions notebook, against running that
 * notebook once through `npm run lesson`; the wall time per notebook shows what running them side by side
 * buys. As root, also with --no-sandbox: what the sandboxes and the judges cost.
 */
export async function gradingVersusOneRun(options: {copies: number; runs: number}): Promise<string[]> {
	const scratch = await mkdtemp(path.join(tmpdir(), 'lesson-bench-grade-'));
	const solutions = path.join(PROJECT_ROOT, 'notebooks', '04-exercises-solutions.ipynb');
	try {
		const submissions = path.join(scratch, 'class');
		await mkdir(submissions);
		for (let copy = 1; copy <= options.copies; copy++) await cp(solutions, path.join(submissions, `learner-${String(copy).padStart(2, '0')}.ipynb`));
		const grade = async (flags: readonly string[]): Promise<number> => {
			const result = await timeCommand(TSX, ['scripts/grade.mts', submissions, '--out', path.join(scratch, 'out'), ...flags], {cwd: PROJECT_ROOT});
			if (result.code !== 0 || (result.stdout.match(/: 5 of 5 passed/g) ?? []).length !== options.copies) {
				throw new Error(`npm run grade did not pass every copy:\n${result.stdout}${result.stderr}`);
			}
			return result.wallMs;
		};
		const asRoot = process.getuid?.() === 0;
		const samples = await alternate(options.runs, {
			single: async () => (await runLesson([solutions])).wallMs,
			// Without root there is no sandbox to compare with: both are the unprotected run.
			grading: () => grade(asRoot ? [] : ['--no-sandbox']),
			unprotected: () => grade(['--no-sandbox']),
		});
		const [single, grading, unprotected] = [median(samples.single), median(samples.grading), median(samples.unprotected)];
		return [
			`grading ${options.copies} copies of the solutions notebook with npm run grade (${DEFAULT_JOBS} at a time), median of ${options.runs}`,
			`  ${fixed(grading)} ms in all${asRoot ? ', each in a sandbox' : ''}, ${fixed(grading / options.copies)} ms per notebook, against ${fixed(single)} ms for one run of it ` +
				`through npm run lesson: ${fixed(grading / options.copies / single, 2)}x a single run, per notebook; all ${options.copies} graded 5 of 5`,
			asRoot
				? `  with --no-sandbox ${fixed(unprotected)} ms: the sandboxes and their judges cost ${fixed(grading / unprotected, 2)}x (${fixed((grading - unprotected) / options.copies)} ms per notebook)`
				: '  (not root: no sandbox can be made, so both runs were --no-sandbox)',
		];
	} finally {
		await rm(scratch, {recursive: true, force: true});
	}
}

export async function lessonVersusNbconvert(options: {runs: number; notebooks: string[]}): Promise<string[]> {
	await installKernelSpec(PROJECT_JUPYTER_PATH);
	const scratch = await mkdtemp(path.join(tmpdir(), 'lesson-bench-nbconvert-'));
	const files = options.notebooks.map((name) => path.join(PROJECT_ROOT, 'notebooks', name));
	const insideCells: number[] = [];
	try {
		const lesson = async (jobs: number): Promise<number> => {
			const result = await runLesson(['--jobs', String(jobs), ...files]);
			if (jobs === 1) insideCells.push([...result.stdout.matchAll(/inside cells ([\d.]+) s/g)].reduce((sum, match) => sum + Number(match[1]) * 1000, 0));
			return result.wallMs;
		};
		const samples = await alternate(options.runs, {
			lesson: () => lesson(1),
			lessonJobs3: () => lesson(3),
			nbconvert: async () => {
				const result = await timeCommand(NBCONVERT, ['--to', 'notebook', '--execute', '--output-dir', scratch, ...files], {
					env: projectJupyterEnv(scratch),
				});
				if (result.code !== 0) throw new Error(`nbconvert failed:\n${result.stderr}`);
				return result.wallMs;
			},
		});
		const [oneAtATime, threeAtATime, nbconvert, cells] = [median(samples.lesson), median(samples.lessonJobs3), median(samples.nbconvert), median(insideCells)];
		return [
			`the lesson (${options.notebooks.join(', ')}): npm run lesson vs jupyter nbconvert --execute of the same notebooks one after another, wall time, median of ${options.runs} alternating runs`,
			`  npm run lesson --jobs 1 ${fixed(oneAtATime)} ms, nbconvert ${fixed(nbconvert)} ms: ${fixed(oneAtATime / nbconvert, 2)}x nbconvert (target at most 1x)`,
			`  npm run lesson --jobs 3 ${fixed(threeAtATime)} ms: ${fixed(threeAtATime / nbconvert, 2)}x nbconvert (target at most 0.5x)`,
			`  the cells themselves (the lesson's downloads and sleeps) take ${fixed(cells)} ms; our overhead beyond them ${fixed(oneAtATime - cells)} ms ` +
				`(process start, ${options.notebooks.length} kernel start(s), messaging)`,
		];
	} finally {
		await rm(scratch, {recursive: true, force: true});
	}
}
