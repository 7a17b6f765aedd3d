/**
 * The kernel's V8 startup snapshot: building it (node --build-snapshot over snapshot-entry.cts) and telling
 * whether the one built is still current. It lives in node_modules/.cache/tslab-snapshot, never committed:
 *
 *   kernel.blob     tslab and its compiler loaded, and the type libraries' SourceFiles parsed and bound
 *   probe.blob      a tiny snapshot by the same node with the same flags: what start-kernel.sh tries when
 *                   it cannot tell at once that this node loads kernel.blob (Node checks both alike)
 *   launch-key      what start-kernel.sh compares before using kernel.blob without a probe
 *   manifest.json   what the snapshot was made from: node, NODE_OPTIONS, TSLAB_TYPES, every file loaded
 *                   into it and every declaration file kept, with its size and SHA-256
 */
import {createHash} from 'node:crypto';
import {mkdir, readFile, rename, rm, stat, writeFile} from 'node:fs/promises';
import * as path from 'node:path';
import ts from 'typescript';
import {$} from 'zx/core';
import {KERNEL_ENV} from '../notebook-runner/kernelspec.mjs';
import {succeeded} from '../support/program-error.mjs';
import {PROJECT_KERNEL_LAUNCHER, PROJECT_ROOT} from '../support/project-paths.mjs';

export const SNAPSHOT_FOLDER = path.join(PROJECT_ROOT, 'node_modules', '.cache', 'tslab-snapshot');
const ENTRY_SOURCE = path.join(PROJECT_ROOT, 'scripts', 'kernel-snapshot', 'snapshot-entry.cts');
const TSLAB = path.join(PROJECT_ROOT, 'node_modules', 'tslab');
/** Where the lesson's kernels start, and so where the snapshot's first programs are made. */
const WARM_FOLDER = path.join(PROJECT_ROOT, 'notebooks');
/**
 * What the snapshot's kernel compiles before it is taken: a plain cell (the standard library's types and
 * @types/node), and one that imports tslab and the lesson's library as the notebooks do (their declaration
 * files, and what those import).
 */
const WARM_CELLS = ['1', "import * as tslab from 'tslab';\nimport {Socket} from '..';\ntslab;\nSocket;"];

/** What snapshot-entry.cts reports about what went into the snapshot. */
interface BuildReport {
	readonly modules: Record<string, FileRecord>;
	readonly keptSourceFiles: string[];
}

export interface FileRecord {
	readonly size: number;
	readonly sha256: string;
}

export interface SnapshotManifest {
	readonly builtAt: string;
	readonly node: {readonly path: string; readonly version: string; readonly v8: string};
	readonly nodeOptions: string;
	readonly tslabTypes: string;
	/** snapshot-entry.cts, which made it. */
	readonly entry: FileRecord;
	/** The JavaScript in the snapshot's heap (tslab, its compiler, their packages). */
	readonly modules: Record<string, FileRecord>;
	/** The declaration files whose parsed SourceFiles it keeps. */
	readonly keptSourceFiles: Record<string, FileRecord>;
	readonly blobBytes: number;
}

export type SnapshotStatus = {readonly current: true; readonly manifest: SnapshotManifest} | {readonly current: false; readonly why: string};

const file = (name: string): string => path.join(SNAPSHOT_FOLDER, name);

async function fileRecord(name: string): Promise<FileRecord | undefined> {
	const bytes = await readFile(name).catch(() => undefined);
	return bytes && {size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex')};
}

/** What start-kernel.sh compares: this node (process.execPath, put first on PATH), the blob, NODE_OPTIONS, the CPU. */
async function launchKey(): Promise<string> {
	const env = {...process.env, PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env['PATH'] ?? ''}`};
	return (await succeeded($({env, quiet: true})`/bin/sh ${PROJECT_KERNEL_LAUNCHER} --launch-key`)).stdout;
}

/** Builds the snapshot with this node; returns its manifest. Replaces the files one by one, each atomically. */
export async function buildSnapshot(): Promise<SnapshotManifest> {
	await mkdir(SNAPSHOT_FOLDER, {recursive: true});
	const entry = file('snapshot-entry.cjs');
	const source = await readFile(ENTRY_SOURCE, 'utf8');
	const {outputText} = ts.transpileModule(source, {fileName: ENTRY_SOURCE, compilerOptions: {module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022}});
	// Node gives a snapshot's script `require` but no `exports`, which TypeScript's CommonJS output marks.
	await writeFile(entry, `(function (exports) {\n${outputText}\n})({});\n`);
	const probeEntry = file('probe-entry.cjs');
	await writeFile(probeEntry, "'use strict';\nrequire('node:v8').startupSnapshot.setDeserializeMainFunction(() => {});\n");

	const report = file(`report.${process.pid}.json`);
	const temporary = (name: string): string => file(`${name}.${process.pid}.tmp`);
	try {
		const env = {...process.env, ...KERNEL_ENV, TSLAB_SNAPSHOT_BUILD: JSON.stringify({tslab: TSLAB, cells: WARM_CELLS, report})};
		await snapshotOf(entry, temporary('kernel.blob'), env);
		await snapshotOf(probeEntry, temporary('probe.blob'), process.env);
		const built = JSON.parse(await readFile(report, 'utf8')) as BuildReport;
		const keptSourceFiles: Record<string, FileRecord> = {};
		for (const name of built.keptSourceFiles) {
			const record = await fileRecord(name);
			if (record) keptSourceFiles[name] = record;
		}
		await rename(temporary('probe.blob'), file('probe.blob'));
		await rename(temporary('kernel.blob'), file('kernel.blob'));
		const manifest: SnapshotManifest = {
			builtAt: new Date().toISOString(),
			node: {path: process.execPath, version: process.version, v8: process.versions.v8},
			nodeOptions: process.env['NODE_OPTIONS'] ?? '',
			tslabTypes: KERNEL_ENV.TSLAB_TYPES,
			entry: (await fileRecord(ENTRY_SOURCE))!,
			modules: built.modules,
			keptSourceFiles,
			blobBytes: (await stat(file('kernel.blob'))).size,
		};
		await writeAtomically(file('manifest.json'), `${JSON.stringify(manifest, null, 1)}\n`);
		// Last: until the key names this blob, start-kernel.sh probes before using it.
		await writeAtomically(file('launch-key'), await launchKey());
		return manifest;
	} finally {
		await Promise.all([report, temporary('kernel.blob'), temporary('probe.blob')].map((name) => rm(name, {force: true})));
	}
}

/** Runs `node --build-snapshot` over `entry` in the lesson's folder; its output is shown only if it fails (a ProgramError). */
async function snapshotOf(entry: string, blob: string, env: NodeJS.ProcessEnv): Promise<void> {
	await succeeded($({cwd: WARM_FOLDER, env, quiet: true})`${process.execPath} --snapshot-blob ${blob} --build-snapshot ${entry}`);
}

async function writeAtomically(name: string, text: string): Promise<void> {
	const temporary = `${name}.${process.pid}.tmp`;
	await writeFile(temporary, text);
	await rename(temporary, name);
}

/** Whether the snapshot built is the one this node and these packages would build now, and if not, why. */
export async function snapshotStatus(): Promise<SnapshotStatus> {
	let manifest: SnapshotManifest;
	try {
		manifest = JSON.parse(await readFile(file('manifest.json'), 'utf8')) as SnapshotManifest;
	} catch {
		return {current: false, why: `there is no snapshot in ${SNAPSHOT_FOLDER}`};
	}
	if (typeof manifest.entry?.sha256 !== 'string' || typeof manifest.modules !== 'object' || typeof manifest.keptSourceFiles !== 'object') {
		return {current: false, why: 'its manifest was written by another version of build-snapshot.mts'};
	}
	const recordedKey = await readFile(file('launch-key'), 'utf8').catch(() => undefined);
	if (recordedKey !== (await launchKey())) {
		const built = `${manifest.node.path} ${manifest.node.version}, NODE_OPTIONS "${manifest.nodeOptions}"`;
		const now = `${process.execPath} ${process.version}, NODE_OPTIONS "${process.env['NODE_OPTIONS'] ?? ''}"`;
		return {current: false, why: `it was built for another node binary, blob, NODE_OPTIONS or CPU (start-kernel.sh --launch-key): then ${built}, now ${now}`};
	}
	if (manifest.tslabTypes !== KERNEL_ENV.TSLAB_TYPES) return {current: false, why: `it was built with TSLAB_TYPES=${manifest.tslabTypes}, the kernelspec now sets ${KERNEL_ENV.TSLAB_TYPES}`};
	for (const [name, recorded] of [[ENTRY_SOURCE, manifest.entry] as const, ...Object.entries(manifest.modules), ...Object.entries(manifest.keptSourceFiles)]) {
		const now = await fileRecord(name);
		if (now?.sha256 !== recorded.sha256) return {current: false, why: `${path.relative(PROJECT_ROOT, name)} ${now ? 'changed' : 'is gone'} since it was built`};
	}
	return {current: true, manifest};
}

/**
 * Builds the snapshot unless the one there is current (or `force`); `log` hears what happens. Returns the
 * manifest of the snapshot now in place.
 */
export async function updateSnapshot(options: {force?: boolean; log: (line: string) => void}): Promise<SnapshotManifest> {
	const status = await snapshotStatus();
	if (status.current && !options.force) {
		options.log(`the kernel's snapshot is current: ${describeSnapshot(status.manifest)}`);
		return status.manifest;
	}
	options.log(`building the kernel's snapshot${status.current ? '' : ` (${status.why})`}`);
	const started = Date.now();
	const manifest = await buildSnapshot();
	options.log(`built ${path.relative(process.cwd(), file('kernel.blob')) || file('kernel.blob')} in ${((Date.now() - started) / 1000).toFixed(1)} s: ${describeSnapshot(manifest)}`);
	return manifest;
}

/** One line about a snapshot: its size, its node, what it holds, when it was built. */
export function describeSnapshot(manifest: SnapshotManifest): string {
	const kept = Object.keys(manifest.keptSourceFiles).length;
	const modules = Object.keys(manifest.modules).length;
	return `${(manifest.blobBytes / 2 ** 20).toFixed(0)} MiB, node ${manifest.node.version}, ${modules} modules, ${kept} declaration files parsed (${manifest.builtAt})`;
}
