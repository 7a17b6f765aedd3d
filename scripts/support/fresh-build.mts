/**
 * The library as notebooks load it: dist/, compiled from lib/ (a cell's `import ... from '..'` goes through
 * package.json's `main`, and tslab cannot compile .ts outside the notebook's folder). Only `npm test` used to
 * build it, so an edit to lib/ silently did not reach a notebook run by `npm run lesson`: every command that
 * runs notebooks calls ensureFreshBuild() first, and `npm run build` is buildLibrary().
 *
 * Whether dist/ is the build of the lib/ there is now is decided by content, not by modification times: the
 * build records in dist/ the SHA-256 of every file in lib/, of both tsconfig files and the compiler's version,
 * and the check hashes them again (lib/ is some 340 KB: a few milliseconds). Times would miss a file removed,
 * a file put back with an older time (git stash, cp -p, tar, rsync -a), a clock that differs between a
 * container and its host, and a dist/ written after lib/ by something else; a hash sees each of these.
 *
 * A rebuild leaves the kernel's startup snapshot as it is: the snapshot keeps dist/*.d.ts parsed, but hands a
 * kept file to the compiler only while the disk holds the same text (tslab's kept-source-files.js), so a
 * kernel reads and parses again just the declaration files that changed, a few milliseconds each, where
 * building a new snapshot takes 30 s or more (`npm run kernel:snapshot -- --check` names the file; npm test
 * brings it up to date).
 */
import {createHash} from 'node:crypto';
import {lchown, lstat, readdir, readFile, realpath, rename, rm, stat, writeFile} from 'node:fs/promises';
import * as path from 'node:path';
import {$} from 'zx/core';
import {PROJECT_ROOT} from './project-paths.mjs';

const LIB = path.join(PROJECT_ROOT, 'lib');
const DIST = path.join(PROJECT_ROOT, 'dist');
/** The files besides lib/ that decide what the build emits (tsconfig.build.json extends tsconfig.json). */
const CONFIG_FILES = ['tsconfig.build.json', 'tsconfig.json'];
/**
 * The compiler `npm run build` always used: the `tsc` npm puts on a script's PATH. That link is tslab's own
 * TypeScript (@tslab/typescript-for-tslab, 5.0), not the `typescript` package, and lib/ is written for it.
 */
const TSC = path.join(PROJECT_ROOT, 'node_modules', '.bin', 'tsc');
/** What the build was made from, kept in dist/ itself: a dist/ deleted or replaced takes its record with it. */
export const BUILD_RECORD = path.join(DIST, '.build-inputs.json');
/** How many times a build tries to move into dist/'s place while other builds keep moving in (each try is a rename race). */
const MOVE_ATTEMPTS = 10;

/** What a build was made from: each input file (by path from the project root) with its SHA-256, and the compiler. */
interface BuildInputs {
	readonly compiler: string;
	readonly files: Record<string, string>;
}

export type BuildStatus = {readonly fresh: true} | {readonly fresh: false; readonly why: string};

/** Thrown when lib/ does not compile: the message says so and carries the compiler's own. */
export class BuildError extends Error {}

async function filesUnder(folder: string): Promise<string[]> {
	const entries = await readdir(folder, {withFileTypes: true});
	const found = await Promise.all(
		entries.map(async (entry) => {
			const file = path.join(folder, entry.name);
			return entry.isDirectory() ? filesUnder(file) : [file];
		}),
	);
	return found.flat();
}

function sha256(bytes: Buffer): string {
	return createHash('sha256').update(bytes).digest('hex');
}

/** The inputs as they are now. */
async function currentInputs(): Promise<BuildInputs> {
	const names = [...(await filesUnder(LIB)), ...CONFIG_FILES.map((name) => path.join(PROJECT_ROOT, name))];
	const hashed = await Promise.all(names.map(async (name) => [path.relative(PROJECT_ROOT, name), sha256(await readFile(name))] as const));
	const compilerPackage = path.join(path.dirname(path.dirname(await realpath(TSC))), 'package.json');
	const {name, version} = JSON.parse(await readFile(compilerPackage, 'utf8')) as {name: string; version: string};
	return {compiler: `${name} ${version}`, files: Object.fromEntries(hashed.sort(([a], [b]) => a.localeCompare(b)))};
}

/** Why `built` is not `now`, naming the first file that differs; undefined when they are the same. */
function difference(built: BuildInputs, now: BuildInputs): string | undefined {
	if (built.compiler !== now.compiler) return `it was compiled by ${built.compiler}, the project now has ${now.compiler}`;
	for (const [name, hash] of Object.entries(now.files)) {
		const before = built.files[name];
		if (before === undefined) return `${name} was added since dist/ was built`;
		if (before !== hash) return `${name} changed since dist/ was built`;
	}
	const removed = Object.keys(built.files).find((name) => !(name in now.files));
	return removed === undefined ? undefined : `${removed} was removed since dist/ was built`;
}

/** Whether dist/ was built from lib/ and the tsconfig files as they are now, and if not, why. */
export async function buildStatus(): Promise<BuildStatus> {
	let built: BuildInputs;
	try {
		built = JSON.parse(await readFile(BUILD_RECORD, 'utf8')) as BuildInputs;
	} catch {
		return {fresh: false, why: 'dist/ has no record of what it was built from'};
	}
	if (typeof built.compiler !== 'string' || typeof built.files !== 'object' || built.files === null) return {fresh: false, why: 'its build record is malformed'};
	const why = difference(built, await currentInputs());
	return why === undefined ? {fresh: true} : {fresh: false, why};
}

/**
 * Compiles lib/ into a new folder beside dist/ and puts it in dist/'s place, so that a notebook never loads
 * half of each build. The swap is two renames: between them, for a moment, there is no dist/ at all, and a
 * notebook starting just then fails to import '..' (run it again). The inputs are hashed before compiling:
 * a file edited during the build makes the next check rebuild rather than trust it.
 */
export async function buildLibrary(): Promise<void> {
	const inputs = await currentInputs();
	// Beside dist/ (not in a cache folder), so that the source maps' relative paths to lib/ hold once it is moved.
	const building = path.join(PROJECT_ROOT, `dist.building-${process.pid}`);
	const replaced = path.join(PROJECT_ROOT, `dist.replaced-${process.pid}`);
	await rm(building, {recursive: true, force: true});
	try {
		const compiled = await $({cwd: PROJECT_ROOT, quiet: true, nothrow: true})`${process.execPath} ${await realpath(TSC)} -p ${path.join(PROJECT_ROOT, 'tsconfig.build.json')} --outDir ${building}`;
		if (!compiled.ok) {
			const said = `${compiled.stdout}${compiled.stderr}`.trim() || `tsc exited with code ${compiled.exitCode}`;
			throw new BuildError(`lib/ does not compile (tsc -p tsconfig.build.json):\n${said}`);
		}
		await writeFile(path.join(building, path.basename(BUILD_RECORD)), `${JSON.stringify(inputs, null, 1)}\n`);
		await giveToProjectOwner(building);
		// A rename cannot replace a folder that has files: move the old one aside first. Two builds at once (two
		// commands started together) both finish; the last one to move in stays.
		for (let attempt = 1; ; attempt++) {
			await rename(DIST, replaced).catch((error: NodeJS.ErrnoException) => {
				if (error.code !== 'ENOENT') throw error;
			});
			try {
				await rename(building, DIST);
				break;
			} catch (error) {
				const code = (error as NodeJS.ErrnoException).code;
				if ((code !== 'ENOTEMPTY' && code !== 'EEXIST') || attempt === MOVE_ATTEMPTS) throw error;
				await rm(replaced, {recursive: true, force: true});
			}
		}
	} finally {
		// Best effort: the build itself is in place (or failed for its own reason), and these folders are ignored by git.
		await Promise.all([building, replaced].map((folder) => rm(folder, {recursive: true, force: true}).catch(() => {})));
	}
}

/**
 * A build made as root (`sudo npm run grade`, the classroom) belongs to the project's owner, as a build
 * made by `npm install` does: else the owner's next build could not remove it, and would fail.
 */
async function giveToProjectOwner(folder: string): Promise<void> {
	if (process.getuid?.() !== 0) return;
	const {uid, gid} = await stat(PROJECT_ROOT);
	if (uid === 0) return;
	const walk = async (entry: string): Promise<void> => {
		await lchown(entry, uid, gid);
		const stats = await lstat(entry);
		if (stats.isDirectory()) await Promise.all((await readdir(entry)).map((name) => walk(path.join(entry, name))));
	};
	await walk(folder);
}

/**
 * Rebuilds dist/ unless it is the build of lib/ as it is now; `log` hears one line when it does. A lib/ that
 * does not compile rejects with a BuildError that says so, with the compiler's messages, and leaves the last
 * build in place.
 */
export async function ensureFreshBuild(log: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): Promise<void> {
	const status = await buildStatus();
	if (status.fresh) return;
	const started = Date.now();
	try {
		await buildLibrary();
	} catch (error) {
		if (error instanceof BuildError) throw new BuildError(`dist/ is out of date (${status.why}), and rebuilding it failed: ${error.message}`);
		throw error;
	}
	log(`rebuilt dist/ from lib/ in ${((Date.now() - started) / 1000).toFixed(1)} s (${status.why})`);
}
