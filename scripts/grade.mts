import {mkdir, mkdtemp, chmod, readdir, rm, stat, writeFile} from 'node:fs/promises';
import {userInfo} from 'node:os';
import * as path from 'node:path';
import {type CliArgs, integerFlag, MAX_TIMER_SECONDS, type OptionTable, runCli, UsageError} from './support/cli.mjs';
import {canUseOwnUsers, EXERCISE_NUMBERS, gradeSubmission, type SubmissionGrade} from './grading/grade-submission.mjs';
import {gradeTables} from './grading/grade-tables.mjs';
import {Kernel} from './notebook-runner/kernel.mjs';
import {PROJECT_ROOT} from './support/project-paths.mjs';
import {writeNotebook} from './notebook-runner/notebook-file.mjs';
import {DEFAULT_JOBS, inParallel} from './notebook-runner/pool.mjs';

const HELP = `
usage: npm run grade -- FILE_OR_FOLDER... [--jobs N] [--out FOLDER] [--cell-timeout S] [--timeout S]

Grades submitted copies of notebooks/04-exercises.ipynb. Each submission's code cells (tagged exercise-1 to
exercise-5) go into a fresh copy of the project's exercises notebook, so only the project's own checks
judge them, and that copy runs in the real kernel in a sandbox folder of its own, several at once. Prints a
table per student and exercise, and writes grades.csv, grades.md and the executed notebooks to the --out
folder. A folder is searched for .ipynb files; the student is the file's path in it, without .ipynb.

  --jobs N           submissions graded at once (default: the number of cores, ${DEFAULT_JOBS} here)
  --out FOLDER       where the tables and executed notebooks go (default test-results/grades)
  --cell-timeout S   time limit per cell in seconds (default 60)
  --timeout S        time limit per submission in seconds, kernel start included (default 300)

Limits on a submission: its output (1,000,000 characters, then its kernel is stopped), its kernel's
JavaScript heap (768 MiB) and its time. Run as root, each submission's kernel runs as a user of its own
(uid 61000 and up) that owns nothing but its sandbox, so a submission that deletes files can delete only
its own (otherwise they run as you, and it says so). Exits 0 when every submission ran to its end (whatever its grades), 1 when one could not (a
hang, a crashed kernel, a flood, an unreadable file), 2 for a usage mistake.
`;

/** The options, typed for util.parseArgs (strict: anything else is a usage error). */
const OPTIONS = {
	jobs: {type: 'string'},
	out: {type: 'string'},
	'cell-timeout': {type: 'string'},
	timeout: {type: 'string'},
} as const satisfies OptionTable;
type Flags = CliArgs<typeof OPTIONS>;

async function main(args: Flags): Promise<number> {
	const here = process.env['INIT_CWD'] ?? process.cwd();
	if (args._.length === 0) throw new UsageError('name the submitted notebooks, or folders holding them');
	const jobs = integerFlag('jobs', args.jobs, DEFAULT_JOBS, 1, 64);
	const limits = {
		cellTimeoutMs: integerFlag('cell-timeout', args['cell-timeout'], 60, 1, MAX_TIMER_SECONDS) * 1000,
		notebookTimeoutMs: integerFlag('timeout', args.timeout, 300, 1, MAX_TIMER_SECONDS) * 1000,
		maxOutputChars: 1_000_000,
		heapMiB: 768,
		ownUsers: canUseOwnUsers(),
	};
	if (!limits.ownUsers) {
		const why = process.getuid?.() === 0 ? 'a folder above the project lets no other user through' : 'the grader is not root';
		console.log(`Note: submissions run as ${userInfo().username} (${why}), so a hostile one could touch your files`);
	}
	const out = path.resolve(here, args.out ?? path.join(PROJECT_ROOT, 'test-results', 'grades'));
	const submissions = await findSubmissions(args._.map((arg) => path.resolve(here, arg)));
	if (submissions.length === 0) throw new UsageError('no .ipynb files found in what was named');

	for (const signal of ['SIGINT', 'SIGTERM'] as const) {
		process.once(signal, () => {
			process.stderr.write(`\n${signal}: stopping the kernels\n`);
			void Kernel.killAll().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
		});
	}

	// Sandboxes live inside the project, where tslab finds its node_modules; other users may pass through.
	await mkdir(path.join(PROJECT_ROOT, '.grading'), {recursive: true});
	const run = await mkdtemp(path.join(PROJECT_ROOT, '.grading', 'run-'));
	await chmod(run, 0o711);
	await chmod(path.join(PROJECT_ROOT, '.grading'), 0o711);
	console.log(`Grading ${submissions.length} submission(s), ${jobs} at a time`);
	let grades: SubmissionGrade[];
	try {
		grades = await inParallel(submissions, jobs, async (submission, index) => {
			const grade = await gradeSubmission(submission.student, submission.file, path.join(run, `s${index}`), index, limits);
			const passed = grade.exercises.filter((exercise) => exercise.verdict === 'PASS').length;
			console.log(`  ${grade.problem ? '✗' : '✓'} ${submission.student}: ${passed} of ${EXERCISE_NUMBERS.length} passed in ${(grade.durationMs / 1000).toFixed(1)} s${grade.problem ? ` (${grade.problem})` : ''}`);
			return grade;
		});
	} finally {
		await rm(run, {recursive: true, force: true});
	}

	const tables = gradeTables(grades);
	console.log(`\n${tables.terminal}`);
	await mkdir(path.join(out, 'notebooks'), {recursive: true});
	await writeFile(path.join(out, 'grades.csv'), tables.csv);
	await writeFile(path.join(out, 'grades.md'), tables.markdown);
	for (const grade of grades) {
		if (grade.executed) await writeNotebook(path.join(out, 'notebooks', `${grade.student.replaceAll('/', '__')}.ipynb`), grade.executed);
	}
	console.log(`\nWrote ${path.relative(here, path.join(out, 'grades.csv'))}, grades.md and the executed notebooks in ${path.relative(here, path.join(out, 'notebooks')) || '.'}`);
	const troubled = grades.filter((grade) => grade.problem !== undefined);
	if (troubled.length > 0) console.log(`${troubled.length} submission(s) could not run to their end: ${troubled.map((grade) => grade.student).join(', ')}`);
	return troubled.length === 0 ? 0 : 1;
}

interface Submission {
	readonly student: string;
	readonly file: string;
}

/** The .ipynb files named, or found in the folders named, each with the student it belongs to. */
async function findSubmissions(paths: readonly string[]): Promise<Submission[]> {
	const found: Submission[] = [];
	for (const given of paths) {
		const info = await stat(given).catch(() => undefined);
		if (!info) throw new UsageError(`${given} does not exist`);
		if (info.isFile()) found.push({student: path.basename(given, '.ipynb'), file: given});
		else {
			for (const file of await notebooksIn(given)) found.push({student: path.relative(given, file).replace(/\.ipynb$/, ''), file});
		}
	}
	const names = new Set<string>();
	for (const submission of found) {
		if (names.has(submission.student)) throw new UsageError(`two submissions are both called ${submission.student}: name their folders instead`);
		names.add(submission.student);
	}
	return found;
}

async function notebooksIn(folder: string): Promise<string[]> {
	const files: string[] = [];
	for (const entry of (await readdir(folder, {withFileTypes: true})).sort((a, b) => a.name.localeCompare(b.name))) {
		if (entry.name.startsWith('.')) continue; // .ipynb_checkpoints and the like
		const child = path.join(folder, entry.name);
		if (entry.isDirectory()) files.push(...(await notebooksIn(child)));
		else if (entry.name.endsWith('.ipynb')) files.push(child);
	}
	return files;
}

runCli({help: HELP, options: OPTIONS, main});
