// Where a tslab kernel's start goes, phase by phase, as the kernel does it (see node_modules/tslab/dist/main.js):
// load the TypeScript compiler (through the code cache, unless TSLAB_CODE_CACHE=0), build the converter's first
// program (reading and parsing the type libraries), compile a first cell. Plain CommonJS run by plain node, not
// tsx: a loader would add its own cost to every require. Run in notebooks/, as Jupyter starts the kernel.
// Prints one JSON object.
'use strict';
// performance.now() counts from the process's start: this is Node's own start, before any of tslab.
const nodeStartMs = performance.now();
const path = require('node:path');
const tslab = path.dirname(require.resolve('tslab/package.json', {paths: [process.cwd()]}));
const {loadWithCodeCache} = require(path.join(tslab, 'dist', 'code-cache.js'));
const typescript = require.resolve('@tslab/typescript-for-tslab', {paths: [tslab]});

let last = performance.now();
const lap = () => {
	const now = performance.now();
	const ms = now - last;
	last = now;
	return ms;
};
const cache = loadWithCodeCache(typescript);
const ts = require(typescript);
const loadCompilerMs = lap();

// What the first program reads, by where it comes from.
const read = {};
const readFile = ts.sys.readFile;
ts.sys.readFile = function (file, encoding) {
	const text = readFile.call(this, file, encoding);
	const where = /@types\/node\//.test(file) ? '@types/node' : /typescript-for-tslab\/lib\//.test(file) ? 'lib.*.d.ts' : 'other';
	read[where] = (read[where] ?? 0) + (text ? text.length : 0);
	return text;
};
const {createConverter} = require(path.join(tslab, 'dist', 'converter.js'));
const converter = createConverter({isJS: false, isBrowser: false});
const firstProgramMs = lap();
converter.convert('', '1 + 2');
const firstCellMs = lap();
cache.save();
console.log(JSON.stringify({nodeStartMs, loadCompilerMs, firstProgramMs, firstCellMs, charactersRead: read}));
process.exit(0);
