/**
 * The grades as a teacher reads them: a terminal table, CSV for a spreadsheet, Markdown for a page. Student
 * names and the words of the checks come from submissions, so each table is made harmless for what reads
 * it: no control characters anywhere (escape codes would drive the terminal, a newline would start a row of
 * its own), no cell a spreadsheet would run as a formula, no markup in the Markdown.
 */
import {escapeMarkup} from '../../lib/escape-markup.js';
import {EXERCISE_NUMBERS, type SubmissionGrade} from './grade-submission.mjs';

export interface GradeTables {
	readonly terminal: string;
	readonly csv: string;
	readonly markdown: string;
}

const HEADINGS = ['student', ...EXERCISE_NUMBERS.map((exercise) => `ex${exercise}`), 'passed', 'notes'];

/** One row per student: each exercise's PASS or FAIL, how many passed, and why the others failed. */
function rows(grades: readonly SubmissionGrade[]): string[][] {
	return grades.map((grade) => {
		const passed = grade.exercises.filter((exercise) => exercise.verdict === 'PASS').length;
		const notes = [
			...(grade.problem ? [`did not run to its end: ${grade.problem}`] : []),
			...grade.exercises.filter((exercise) => exercise.verdict === 'FAIL' && exercise.why !== grade.problem).map((exercise) => `ex${exercise.exercise}: ${exercise.why}`),
		];
		return [grade.student, ...grade.exercises.map((exercise) => exercise.verdict), `${passed}/${EXERCISE_NUMBERS.length}`, notes.join('; ')].map(withoutControls);
	});
}

/** Control characters (C0, DEL, C1) shown as \\xNN: visible, and inert in every table. */
export function withoutControls(value: string): string {
	return value.replace(/[\u0000-\u001f\u007f-\u009f]/g, (character) => `\\x${character.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/**
 * A CSV field. One that starts with = + - @ (or a tab or CR) would be run as a formula by a spreadsheet
 * (OWASP's "CSV injection"): a leading apostrophe makes it text.
 */
function csvField(value: string): string {
	const inert = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
	return /[",\n\r]/.test(inert) ? `"${inert.replaceAll('"', '""')}"` : inert;
}

/** A Markdown table cell: no column breaks, and any HTML shown as text. */
function markdownField(value: string): string {
	return escapeMarkup(value).replaceAll('|', '\\|');
}

export function gradeTables(grades: readonly SubmissionGrade[]): GradeTables {
	const body = rows(grades);
	// Every line ends with its line break, the last line too.
	const csv = [HEADINGS, ...body].map((row) => `${row.map(csvField).join(',')}\r\n`).join('');
	const markdown = [`| ${HEADINGS.join(' | ')} |`, `| ${HEADINGS.map(() => '---').join(' | ')} |`, ...body.map((row) => `| ${row.map(markdownField).join(' | ')} |`)].map((line) => `${line}\n`).join('');
	// In a terminal the notes are cut to fit a line; the files keep them whole.
	const shown = body.map((row) => row.map((cell, index) => (index === row.length - 1 && cell.length > 90 ? `${cell.slice(0, 89)}…` : cell)));
	const widths = HEADINGS.map((heading, index) => Math.max(heading.length, ...shown.map((row) => row[index]!.length)));
	const line = (row: readonly string[]): string =>
		row
			.map((cell, index) => (index === row.length - 1 ? cell : cell.padEnd(widths[index]!)))
			.join('  ')
			.trimEnd();
	const terminal = [line(HEADINGS), ...shown.map(line)].join('\n');
	return {terminal, csv, markdown};
}
