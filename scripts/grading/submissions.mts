/**
 * Finding the submitted notebooks and reading them as input nobody vouches for: only regular files are
 * read (a symlink, a FIFO, a device or an oversize file gets a row that says why, and is never opened),
 * and each student gets an output name no other student's can collide with.
 */
import {constants} from 'node:fs';
import {lstat, open, readdir} from 'node:fs/promises';
import * as path from 'node:path';
import {NotebookFileError, type Notebook, parseNotebook} from '../notebook-runner/notebook-file.mjs';

/** The largest submission read: the exercises notebook with outputs is about 30 KB. */
export const MAX_SUBMISSION_BYTES = 2 * 1024 * 1024;

export interface Submission {
	/** The file's path in the folder named, without .ipynb (or its name, for a file named directly). */
	readonly student: string;
	readonly file: string;
	/** A file name for its executed notebook: the student's name, percent-encoded, so distinct for each. */
	readonly outputName: string;
	/** Why it is not graded, when it is not a regular file of a sane size. */
	readonly refused: string | undefined;
}

/** Why `file` (seen with lstat, never followed) is not a submission to read; undefined if it is one. */
async function refusal(file: string): Promise<string | undefined> {
	const info = await lstat(file);
	if (info.isSymbolicLink()) return 'not graded: it is a symbolic link, not a file of its own';
	if (!info.isFile()) return 'not graded: it is not a regular file (a FIFO, a device or a socket)';
	if (info.size > MAX_SUBMISSION_BYTES) return `not graded: ${info.size} bytes, more than the ${MAX_SUBMISSION_BYTES} a submission may have`;
	return undefined;
}

/** The .ipynb files named, or found in the folders named (links are not followed), each with its student. */
export async function findSubmissions(paths: readonly string[]): Promise<Submission[] | {missing: string} | {duplicate: string}> {
	const found: Array<{student: string; file: string}> = [];
	for (const given of paths) {
		const info = await lstat(given).catch(() => undefined);
		if (!info) return {missing: given};
		if (info.isDirectory()) {
			for (const file of await notebooksIn(given)) found.push({student: path.relative(given, file).replace(/\.ipynb$/, ''), file});
		} else found.push({student: path.basename(given).replace(/\.ipynb$/, ''), file: given});
	}
	const submissions: Submission[] = [];
	const students = new Set<string>();
	for (const {student, file} of found) {
		if (students.has(student)) return {duplicate: student};
		students.add(student);
		// Percent-encoded, so that `a/b` and `a__b` (or `a%2Fb`) never share a file.
		submissions.push({student, file, outputName: encodeURIComponent(student), refused: await refusal(file)});
	}
	return submissions;
}

async function notebooksIn(folder: string): Promise<string[]> {
	const files: string[] = [];
	for (const entry of (await readdir(folder, {withFileTypes: true})).sort((a, b) => a.name.localeCompare(b.name))) {
		if (entry.name.startsWith('.')) continue; // .ipynb_checkpoints and the like
		const child = path.join(folder, entry.name);
		// A link to a folder is not followed: it could lead anywhere on the machine, or round in a circle.
		if (entry.isDirectory()) files.push(...(await notebooksIn(child)));
		else if (entry.name.endsWith('.ipynb')) files.push(child);
	}
	return files;
}

/**
 * Reads a submission. It was a regular file when found, but may have been swapped since: it is opened
 * without following a link and without waiting on a FIFO, and checked again before a byte is read.
 */
export async function readSubmission(file: string): Promise<Notebook> {
	const handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch((error: NodeJS.ErrnoException) => {
		throw new NotebookFileError(error.code === 'ELOOP' ? 'it became a symbolic link' : `cannot open it: ${error.code ?? error.message}`);
	});
	try {
		const info = await handle.stat();
		if (!info.isFile()) throw new NotebookFileError('it is not a regular file');
		if (info.size > MAX_SUBMISSION_BYTES) throw new NotebookFileError(`${info.size} bytes, more than ${MAX_SUBMISSION_BYTES}`);
		const buffer = Buffer.alloc(MAX_SUBMISSION_BYTES + 1);
		const {bytesRead} = await handle.read(buffer, 0, buffer.length, 0);
		if (bytesRead > MAX_SUBMISSION_BYTES) throw new NotebookFileError(`it grew past ${MAX_SUBMISSION_BYTES} bytes`);
		return parseNotebook(buffer.subarray(0, bytesRead).toString('utf8'), path.basename(file));
	} finally {
		await handle.close();
	}
}
