/** Running `npm run grade` from a test to its end, and reading the grades.csv it wrote. */
import {spawn} from 'node:child_process';
import {existsSync} from 'node:fs';
import {readFile} from 'node:fs/promises';
import * as path from 'node:path';

export interface GradeRun {
	readonly code: number | null;
	readonly stdout: string;
	readonly stderr: string;
}

/**
 * Runs `project`'s scripts/grade.mts (tsx, as npm runs it) with `args` to its end, in beforeAll, where the
 * run-script helper's per-test cleanup cannot be.
 */
export function runGrade(project: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<GradeRun> {
	return new Promise((resolve, reject) => {
		const child = spawn(path.join(project, 'node_modules', '.bin', 'tsx'), [path.join(project, 'scripts', 'grade.mts'), ...args], {cwd: project, env: {...process.env, ...env}});
		let [stdout, stderr] = ['', ''];
		child.stdout.on('data', (data: Buffer) => (stdout += data.toString()));
		child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
		child.on('error', reject);
		child.on('close', (code) => resolve({code, stdout, stderr}));
	});
}

/** grades.csv's rows by student (each row's cells, the student first); none if the file is missing. */
export async function gradeRows(csvFile: string): Promise<Map<string, string[]>> {
	const csv = existsSync(csvFile) ? await readFile(csvFile, 'utf8') : '';
	const rows = csv.trim().split('\r\n').slice(1).filter(Boolean);
	return new Map(
		rows.map((line) => {
			const cells = line.match(/("([^"]|"")*"|[^,]*)(,|$)/g)!.map((cell) => cell.replace(/,$/, '').replace(/^"|"$/g, '').replaceAll('""', '"'));
			return [cells[0]!, cells];
		}),
	);
}
