import {chmod, mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises';
import * as path from 'node:path';
import {type Cli, type CliArgs, integerFlag, isMainModule, MAX_TIMER_SECONDS, type OptionTable, runCli, UsageError} from './support/cli.mjs';
import {ensureFreshBuild} from './support/fresh-build.mjs';
import {EXERCISE_NUMBERS, EXERCISES_TEMPLATE, failedGrade, type GradeLimits, gradeSubmission, type Isolation, type SubmissionGrade, withSubmittedCode} from './grading/grade-submission.mjs';
import {gradeTables, withoutControls} from './grading/grade-tables.mjs';
import {GradingRun} from './grading/sandbox.mjs';
import {sandboxTools} from './grading/sandbox-tools.mjs';
import {findSubmissions, readSubmission, type Submission} from './grading/submissions.mjs';
import {Kernel} from './notebook-runner/kernel.mjs';
import {PROJECT_ROOT} from './support/project-paths.mjs';
import {type Notebook, readNotebook, writeNotebook} from './notebook-runner/notebook-file.mjs';
import {DEFAULT_JOBS, inParallel} from './notebook-runner/pool.mjs';

/** The limits besides the time limits (which are flags). */
const LIMITS = {
	maxOutputChars: 1_000_000,
	heapMiB: 768,
	sandbox: {memoryMiB: 1024, processes: 256, fileMiB: 64},
} as const;

const HELP = `
usage: npm run grade -- FILE_OR_FOLDER... [--jobs N] [--out FOLDER] [--cell-timeout S] [--timeout S] [--no-sandbox]

Grades submitted copies of notebooks/04-exercises.ipynb. Each submission's code cells (tagged exercise-1 to
exercise-5) go into a fresh copy of the project's exercises notebook, which runs in the real kernel in a
sandbox of its own, several at once. The grade is decided by a judge outside the sandbox from what its own
servers sent and saw, never from what the submission prints. Prints a table per student and exercise, and
writes grades.csv, grades.md and the executed notebooks to the --out folder (only you can read them). A
folder is searched for .ipynb files; the student is the file's path in it, without .ipynb.

  --jobs N           submissions graded at once (default: the number of cores, ${DEFAULT_JOBS} here)
  --out FOLDER       where the tables and executed notebooks go (default test-results/grades)
  --cell-timeout S   time limit per cell in seconds (default 60)
  --timeout S        time limit per submission in seconds, kernel start included (default 300)
  --no-sandbox       run the submissions as you, with no sandbox: only for code you trust

The sandbox (needs root, bubblewrap, util-linux and iproute2): a user id no account has, its own PID and
network namespaces (it reaches nothing but the judge, on its own loopback), the project read-only, one
writable folder, a private /tmp and /dev/shm, an environment of its own, and limits: ${LIMITS.sandbox.memoryMiB} MiB of
memory and ${LIMITS.sandbox.processes} processes and threads (cgroups), files of at most ${LIMITS.sandbox.fileMiB} MiB, a JavaScript heap
of ${LIMITS.heapMiB} MiB, 1,000,000 characters of output, and the time limits above. Nothing it starts
outlives it. Submissions that are not regular files (links, FIFOs, devices) or are over 2 MiB get a row
that says so and are never opened. Exits 0 when every submission ran to its end (whatever its grades), 1
when one could not (a hang, a crashed kernel, a flood, an unreadable file), 2 for a usage mistake, and
3 when no sandbox can be made here.
`;

/** The options, typed for util.parseArgs (strict: anything else is a usage error). */
const OPTIONS = {
	jobs: {type: 'string'},
	out: {type: 'string'},
	'cell-timeout': {type: 'string'},
	timeout: {type: 'string'},
	'no-sandbox': {type: 'boolean'},
} as const satisfies OptionTable;
type Flags = CliArgs<typeof OPTIONS>;

async function main(args: Flags): Promise<number> {
	const here = process.env['INIT_CWD'] ?? process.cwd();
	if (args._.length === 0) throw new UsageError('name the submitted notebooks, or folders holding them');
	const jobs = integerFlag('jobs', args.jobs, DEFAULT_JOBS, 1, 64);
	const limits: GradeLimits = {
		...LIMITS,
		cellTimeoutMs: integerFlag('cell-timeout', args['cell-timeout'], 60, 1, MAX_TIMER_SECONDS) * 1000,
		notebookTimeoutMs: integerFlag('timeout', args.timeout, 300, 1, MAX_TIMER_SECONDS) * 1000,
	};
	const out = path.resolve(here, args.out ?? path.join(PROJECT_ROOT, 'test-results', 'grades'));
	const found = await findSubmissions(args._.map((arg) => path.resolve(here, arg)));
	if ('missing' in found) throw new UsageError(`${found.missing} does not exist`);
	if ('duplicate' in found) throw new UsageError(`two submissions are both called ${found.duplicate}: name their folders instead`);
	if (found.length === 0) throw new UsageError('no .ipynb files found in what was named');
	// After the argument checks: a usage mistake is told at once, not after a build.
	await ensureFreshBuild();

	// Every line says so when submissions run unprotected, so that no one reads the output and misses it.
	const unprotected = args['no-sandbox'] === true;
	const say = (text: string): void =>
		console.log(
			unprotected
				? text
						.split('\n')
						.map((line) => `[no sandbox] ${line}`)
						.join('\n')
				: text,
		);
	let isolation: Isolation;
	if (unprotected) {
		say('Submissions run as you, with no sandbox: a hostile one can read, change or delete anything you can');
		// Inside the project, where tslab finds its node_modules.
		await mkdir(path.join(PROJECT_ROOT, '.grading'), {recursive: true});
		isolation = {kind: 'none', parent: await mkdtemp(path.join(PROJECT_ROOT, '.grading', 'run-'))};
	} else {
		const tools = sandboxTools();
		if ('problem' in tools) {
			console.error(`npm run grade: no sandbox can be made here: ${tools.problem}`);
			return 3;
		}
		if (!tools.cgroups) say('Note: cgroups are not writable here, so memory is bounded by the heap limit and processes by RLIMIT_NPROC only');
		isolation = {kind: 'sandbox', run: await GradingRun.start(tools)};
	}
	const cleanUp = async (): Promise<void> => {
		await Kernel.killAll();
		if (isolation.kind === 'sandbox') await isolation.run.end();
		else await rm(isolation.parent, {recursive: true, force: true});
	};
	// Listened for to the end, and a second signal (a Ctrl-C reaches tsx and this process both, and tsx
	// passes it on again) must not cut the stopping short. Should this process die anyway, the run's
	// guardian removes its sandboxes, and the kernels' guardians their kernels.
	let stopping = false;
	for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
		process.on(signal, () => {
			if (stopping) return;
			stopping = true;
			process.stderr.write(`\n${signal}: stopping the kernels and removing the sandboxes\n`);
			void cleanUp().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
		});
	}

	say(`Grading ${found.length} submission(s), ${jobs} at a time`);
	const template = await readNotebook(EXERCISES_TEMPLATE);
	let grades: SubmissionGrade[];
	try {
		grades = await inParallel(found, jobs, async (submission) => {
			const grade = await gradeOne(submission, template, isolation, limits);
			const passed = grade.exercises.filter((exercise) => exercise.verdict === 'PASS').length;
			say(
				withoutControls(
					`  ${grade.problem ? '✗' : '✓'} ${submission.student}: ${passed} of ${EXERCISE_NUMBERS.length} passed in ${(grade.durationMs / 1000).toFixed(1)} s${grade.problem ? ` (${grade.problem})` : ''}`,
				),
			);
			return grade;
		});
	} finally {
		await cleanUp();
	}

	// The grades and the executed notebooks are the teacher's alone: no later submission, or learner, may read them.
	await mkdir(path.join(out, 'notebooks'), {recursive: true, mode: 0o700});
	for (const folder of [out, path.join(out, 'notebooks')]) await chmod(folder, 0o700);
	for (const [index, grade] of grades.entries()) {
		if (!grade.executed) continue;
		const file = path.join(out, 'notebooks', `${found[index]!.outputName}.ipynb`);
		try {
			await writeNotebook(file, grade.executed);
			await chmod(file, 0o600);
		} catch (error) {
			// Its row says so; the others are still written.
			grades[index] = {...grade, problem: [grade.problem, `its executed notebook could not be written: ${(error as Error).message}`].filter(Boolean).join('; ')};
		}
	}
	const tables = gradeTables(grades);
	say(`\n${tables.terminal}`);
	for (const [name, text] of [
		['grades.csv', tables.csv],
		['grades.md', tables.markdown],
	] as const) {
		await writeFile(path.join(out, name), text, {mode: 0o600});
		await chmod(path.join(out, name), 0o600);
	}
	say(`\nWrote ${path.relative(here, path.join(out, 'grades.csv'))}, grades.md and the executed notebooks in ${path.relative(here, path.join(out, 'notebooks')) || '.'}`);
	const troubled = grades.filter((grade) => grade.problem !== undefined);
	if (troubled.length > 0) say(withoutControls(`${troubled.length} submission(s) could not run to their end: ${troubled.map((grade) => grade.student).join(', ')}`));
	return troubled.length === 0 ? 0 : 1;
}

/** One submission: refused, unreadable, or graded. */
async function gradeOne(submission: Submission, template: Notebook, isolation: Isolation, limits: GradeLimits): Promise<SubmissionGrade> {
	const refused = (problem: string): SubmissionGrade => failedGrade(submission.student, submission.file, problem, 0);
	if (submission.refused) return refused(submission.refused);
	let graded: Notebook;
	try {
		graded = withSubmittedCode(template, await readSubmission(submission.file));
	} catch (error) {
		return refused(`could not be read: ${(error as Error).message}`);
	}
	return gradeSubmission(submission.student, submission.file, graded, isolation, limits);
}

/** The command, exported for the tests to run in-process (runCommand). */
export const cli: Cli<typeof OPTIONS> = {help: HELP, options: OPTIONS, main};

if (isMainModule(import.meta.url)) runCli(cli);
