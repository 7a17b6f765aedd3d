/**
 * The one script `node --build-snapshot` runs to make the kernel's V8 startup snapshot (build-snapshot.mts), and,
 * once Node has deserialized that snapshot, the kernel's start.
 *
 * While a snapshot is built, Node lets its script require built-in modules only, and loading any other module
 * through Node's loader spoils the snapshot (Node then stops at start with an internal assertion). So this script
 * loads tslab and its TypeScript compiler itself: each file read and run with vm the way Node runs a CommonJS
 * module, under its real file name, since tslab tells its own stack frames from a cell's by their paths. Then it
 * does what a kernel does before its first cell (a converter; programs over the type libraries; a cell that
 * imports the lesson's library) and keeps those programs' declaration files, parsed and bound (tslab's
 * kept-source-files.js hands them to the kernel's programs). zeromq, a native addon, is not loaded: tslab
 * requires it when it binds its sockets, after deserialization, through Node's own require.
 *
 * At start, every file loaded here must still be the one on disk, or the kernel starts from disk exactly as
 * without a snapshot, and its log says why; a kept declaration file that changed is read again (FileIdentities).
 */
import {createHash} from 'node:crypto';
import {existsSync, readFileSync, realpathSync, statSync, writeFileSync} from 'node:fs';
import Module = require('node:module');
import * as path from 'node:path';
import {startupSnapshot} from 'node:v8';
import {Script} from 'node:vm';

/** What the builder asks for, as JSON in TSLAB_SNAPSHOT_BUILD. */
interface BuildRequest {
	/** tslab's package folder (the patched one). */
	readonly tslab: string;
	/** Cells to compile before the snapshot is taken, in the build's working folder. */
	readonly cells: readonly string[];
	/** Where to write what went into the snapshot (a BuildReport), for the builder's manifest. */
	readonly report: string;
}

/** What went into the snapshot, for the builder's manifest. */
interface BuildReport {
	/** Every module in the snapshot, by file name. */
	readonly modules: Record<string, {size: number; sha256: string}>;
	/** The declaration files whose SourceFiles the snapshot keeps. */
	readonly keptSourceFiles: string[];
}

/** The parts of tslab this script calls. */
interface TslabConverter {
	convert(prevDecl: string, src: string): {diagnostics?: ReadonlyArray<{messageText: string}>};
	close(): void;
}
interface TslabModules {
	converter: {createConverter(options: {isJS: boolean; isBrowser: boolean}): TslabConverter};
	keptSourceFiles: {
		keepSourceFilesOfNextPrograms(wanted: ((fileName: string) => boolean) | undefined): void;
		keptSourceFileTexts(): Array<[string, string]>;
		setUnchangedTest(test: (fileName: string) => boolean): void;
	};
	main: {main(): void};
	typescript: {sys: {readFile(fileName: string): string | undefined; getCurrentDirectory(): string}};
}

/**
 * Whether a file is still the one read while building, without reading it: the same device, inode, size,
 * modification and change times. A program can set a file's modification time but not its change time, which
 * the operating system sets at every write; and a file changed less than two seconds before it was read is not
 * trusted this way at all (a write in the same clock tick could leave both times as they were: git's "racily
 * clean" files), so it is compared by content instead.
 */
class FileIdentities {
	readonly #identities = new Map<string, string>();

	static of(file: string): string | undefined {
		const stat = statSync(file, {bigint: true, throwIfNoEntry: false});
		return stat && `${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeNs}:${stat.ctimeNs}`;
	}

	/**
	 * Reads `file` with `read` and returns what it gave; remembers the file's identity if `trust(result)` says the
	 * result is what the snapshot holds, the file did not change meanwhile and had not changed for two seconds.
	 */
	remember<T>(file: string, read: () => T, trust: (result: T) => boolean = () => true): T {
		const before = statSync(file, {bigint: true});
		const result = read();
		const identity = `${before.dev}:${before.ino}:${before.size}:${before.mtimeNs}:${before.ctimeNs}`;
		const settled = before.ctimeNs < BigInt(Date.now() - 2000) * 1_000_000n;
		if (settled && trust(result) && FileIdentities.of(file) === identity) this.#identities.set(file, identity);
		return result;
	}

	/** Whether `file` is certainly the one remembered; false if it changed, or if only its content can tell. */
	unchanged(file: string): boolean {
		const remembered = this.#identities.get(file);
		return remembered !== undefined && remembered === FileIdentities.of(file);
	}
}

/** A module run into the heap, as it was when it was read. */
interface LoadedFile {
	readonly size: number;
	readonly sha256: string;
	readonly module: Module;
}

/** Node's own module cache, where `require` looks first: modules put there are the ones cells and tslab get. */
const moduleCache = (Module as unknown as {_cache: Record<string, Module>})._cache;

const loaded = new Map<string, LoadedFile>();
const identities = new FileIdentities();
/** After deserialization every `require` of these modules goes to Node's loader, which finds them in its cache. */
let deserialized = false;
let tslabFolder = '';
/** The kernel's working folder, as TypeScript's sys remembers it: asked again after deserialization. */
let workingFolder: string | undefined;

function sha256(bytes: Buffer): string {
	return createHash('sha256').update(bytes).digest('hex');
}

/**
 * A module's source as a one-byte string where it can be: V8 keeps a script's source in the heap, and
 * typescript.js, 8.4 MB, would be held as two bytes a character for the five characters in its comments that
 * Latin-1 lacks. Escaped as \uXXXX they mean the same in strings, regular expressions and identifiers.
 */
function oneByteSource(text: string): string {
	// eslint-disable-next-line no-control-regex
	if (/^[\u0000-\u00ff]*$/.test(text)) return text;
	const escaped = text.replace(/[\u0100-\uffff]/g, (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`);
	// A string made by replace() stays two-byte in V8; one decoded from Latin-1 bytes is one-byte.
	return Buffer.from(escaped, 'latin1').toString('latin1');
}

/** Runs `filename` as Node runs a CommonJS module (or parses it, for JSON), and remembers it. */
function load(filename: string, parent: Module | undefined): Module {
	const bytes = identities.remember(filename, () => readFileSync(filename));
	const module = new Module(filename, parent);
	module.filename = filename;
	loaded.set(filename, {size: bytes.length, sha256: sha256(bytes), module});
	const text = bytes.toString('utf8').replace(/^\uFEFF/, '');
	if (filename.endsWith('.json')) {
		module.exports = JSON.parse(text);
	} else {
		// A shebang line is kept as a comment, so that line numbers stay those of the file.
		const source = oneByteSource(text.startsWith('#!') ? `//${text}` : text);
		const wrapper = new Script(Module.wrap(source), {filename}).runInThisContext() as (...args: unknown[]) => void;
		wrapper.call(module.exports, module.exports, requireFor(module), module, filename, path.dirname(filename));
	}
	module.loaded = true;
	return module;
}

/** The `require` a loaded module gets: built-ins from Node; the rest loaded here while building, then Node's. */
function requireFor(module: Module): NodeJS.Require {
	const requireModule = (request: string): unknown => {
		if (Module.isBuiltin(request)) return require(request);
		if (deserialized) return Module.createRequire(module.filename)(request);
		const filename = resolve(request, path.dirname(module.filename));
		return (loaded.get(filename)?.module ?? load(filename, module)).exports;
	};
	const resolveRequest = (request: string): string => (deserialized ? Module.createRequire(module.filename).resolve(request) : resolve(request, path.dirname(module.filename)));
	return Object.assign(requireModule, {resolve: Object.assign(resolveRequest, {paths: () => null}), cache: moduleCache, main: undefined, extensions: {}}) as unknown as NodeJS.Require;
}

/**
 * Node's resolution, as far as tslab's modules need it: relative paths; packages in node_modules folders up from
 * `fromFolder` (package.json's `exports` for require, or `main`); `.js` and `.json`; symbolic links followed, as
 * Node does, so that each file has the name Node's own require gives it after deserialization.
 */
function resolve(request: string, fromFolder: string): string {
	if (request === '.' || request === '..' || request.startsWith('./') || request.startsWith('../') || path.isAbsolute(request)) {
		const found = resolvePath(path.resolve(fromFolder, request));
		if (found) return found;
	} else {
		const parts = request.split('/');
		const nameParts = request.startsWith('@') ? 2 : 1;
		const name = parts.slice(0, nameParts).join('/');
		const subpath = parts.slice(nameParts).join('/');
		for (let folder = fromFolder; ; folder = path.dirname(folder)) {
			const packageFolder = path.join(folder, 'node_modules', name);
			if (path.basename(folder) !== 'node_modules' && isFolder(packageFolder)) {
				const found = subpath ? resolvePath(path.join(packageFolder, subpath)) : resolvePackage(packageFolder);
				if (found) return found;
			}
			if (path.dirname(folder) === folder) break;
		}
	}
	throw new Error(`snapshot: cannot find ${request} from ${fromFolder}`);
}

function resolvePath(candidate: string): string | undefined {
	for (const file of [candidate, `${candidate}.js`, `${candidate}.json`]) if (isFile(file)) return realpathSync(file);
	return isFolder(candidate) ? resolvePackage(candidate) : undefined;
}

function resolvePackage(folder: string): string | undefined {
	const manifestFile = path.join(folder, 'package.json');
	const manifest = (isFile(manifestFile) ? JSON.parse(readFileSync(manifestFile, 'utf8')) : {}) as {exports?: unknown; main?: string};
	const entry = requireEntry(manifest.exports) ?? manifest.main;
	return (entry === undefined ? undefined : resolvePath(path.join(folder, entry))) ?? resolvePath(path.join(folder, 'index'));
}

/** The file package.json's `exports` gives `require(packageName)`: its "." entry, under "require", "node" or "default". */
function requireEntry(exports: unknown): string | undefined {
	if (typeof exports === 'string') return exports;
	if (typeof exports !== 'object' || exports === null) return undefined;
	const entries = exports as Record<string, unknown>;
	if ('.' in entries) return requireEntry(entries['.']);
	for (const condition of ['require', 'node', 'default']) {
		const found = requireEntry(entries[condition]);
		if (found) return found;
	}
	return undefined;
}

function isFile(file: string): boolean {
	return statSync(file, {throwIfNoEntry: false})?.isFile() ?? false;
}

function isFolder(folder: string): boolean {
	return statSync(folder, {throwIfNoEntry: false})?.isDirectory() ?? false;
}

function loadedExports<Exports>(filename: string): Exports {
	const module = loaded.get(filename)?.module;
	if (!module) throw new Error(`snapshot: ${filename} was not loaded`);
	return module.exports as Exports;
}

function tslabModules(): TslabModules {
	const tslabFile = (file: string): string => path.join(tslabFolder, 'dist', file);
	return {
		converter: loadedExports(tslabFile('converter.js')),
		keptSourceFiles: loadedExports(tslabFile('kept-source-files.js')),
		main: loadedExports(tslabFile('main.js')),
		typescript: loadedExports(resolve('@tslab/typescript-for-tslab', tslabFolder)),
	};
}

/** Loads tslab, does what a kernel does before its first cell, and keeps the type libraries' SourceFiles. */
function build(request: BuildRequest): void {
	tslabFolder = realpathSync(request.tslab);
	load(resolve('./dist/main.js', tslabFolder), undefined);
	// What a cell's `import * as tslab from "tslab"` gets: the very module the kernel's own code uses.
	load(resolve('.', tslabFolder), undefined);
	const tslab = tslabModules();
	// TypeScript's sys remembers the working folder the first time it is asked (a memoized process.cwd()): here,
	// the build's. Every kernel must get its own, the notebook's folder, as a kernel started from disk does.
	tslab.typescript.sys.getCurrentDirectory = () => (workingFolder ??= process.cwd());
	// Declaration files only, and only real ones: the cells' own files are made up by tslab.
	tslab.keptSourceFiles.keepSourceFilesOfNextPrograms((fileName) => fileName.endsWith('.d.ts') && existsSync(fileName));
	const converter = tslab.converter.createConverter({isJS: false, isBrowser: false});
	for (const cell of request.cells) {
		const diagnostics = converter.convert('', cell).diagnostics ?? [];
		if (diagnostics.length > 0) throw new Error(`snapshot: the cell ${JSON.stringify(cell)} does not compile: ${diagnostics.map((d) => d.messageText).join('; ')}`);
	}
	converter.close();
	tslab.keptSourceFiles.keepSourceFilesOfNextPrograms(undefined);
	const kept = tslab.keptSourceFiles.keptSourceFileTexts();
	for (const [fileName, text] of kept) {
		// Remembered only if the disk still holds what the compiler parsed; a file not remembered is compared at start.
		identities.remember(
			fileName,
			() => tslab.typescript.sys.readFile(fileName) === text,
			(same) => same,
		);
	}
	tslab.keptSourceFiles.setUnchangedTest((fileName) => identities.unchanged(fileName));
	// Node builds a snapshot without Error.stackTraceLimit, and TypeScript, which sets it to 0 around each stat and
	// puts back what it found, leaves it there as undefined; Node would restore that after deserialization, and
	// every error in the kernel would have no stack. Without it Node installs its own default (10) again.
	if (Object.hasOwn(Error, 'stackTraceLimit') && Error.stackTraceLimit === undefined) delete (Error as {stackTraceLimit?: number}).stackTraceLimit;

	const report: BuildReport = {
		modules: Object.fromEntries([...loaded].map(([filename, {size, sha256}]) => [filename, {size, sha256}])),
		keptSourceFiles: kept.map(([fileName]) => fileName),
	};
	writeFileSync(request.report, `${JSON.stringify(report, null, 1)}\n`);
	startupSnapshot.setDeserializeMainFunction(start);
}

/** The first module the snapshot holds that is no longer the same file on disk, or undefined. */
function changedModule(): string | undefined {
	for (const [filename, {size, sha256: recorded}] of loaded) {
		if (identities.unchanged(filename)) continue;
		const stat = statSync(filename, {throwIfNoEntry: false});
		if (stat?.size !== size || sha256(readFileSync(filename)) !== recorded) return filename;
	}
	return undefined;
}

/** The kernel's start, after deserialization: tslab's main as `tslab kernel ...` runs it, from the heap or from disk. */
function start(): void {
	deserialized = true;
	workingFolder = undefined;
	const bin = path.join(tslabFolder, 'bin', 'tslab');
	// What `node .../bin/tslab kernel --config-path FILE` would have: tslab's command line is read from argv.
	process.argv.splice(1, 0, bin);
	const changed = changedModule();
	if (changed) {
		process.stderr.write(`tslab: started without its startup snapshot: ${changed} changed since the snapshot was built (npm run kernel:snapshot makes a new one)\n`);
		loaded.clear();
		Module.createRequire(bin)(bin);
		return;
	}
	for (const [filename, {module}] of loaded) moduleCache[filename] = module;
	tslabModules().main.main();
}

const request = process.env['TSLAB_SNAPSHOT_BUILD'];
if (!request) throw new Error('snapshot-entry: run by build-snapshot.mts, with TSLAB_SNAPSHOT_BUILD');
build(JSON.parse(request) as BuildRequest);
