/**
 * The runner's pieces on their own, without a kernel: how iopub messages become nbformat outputs
 * (streams, displays and their updates across cells, clear_output with and without wait), the wire
 * format's signing, and the sanitizers --check applies.
 */
import type {IDisplayData, IStream} from '@jupyterlab/nbformat';
import {describe, expect, test} from 'vitest';
import {renderOutputs} from '../../scripts/notebook-runner/compare.mjs';
import {CellOutputs, type DisplayRegistry} from '../../scripts/notebook-runner/outputs.mjs';
import {MAX_OUTPUT_DEPTH} from '../../scripts/notebook-runner/iopub.mjs';
import {serializeNotebook} from '../../scripts/notebook-runner/notebook-file.mjs';
import {type JupyterMessage, MessageCodec} from '../../scripts/notebook-runner/wire.mjs';

const codec = new MessageCodec('a key');
const message = (type: string, content: Record<string, unknown>): JupyterMessage => codec.create(type, content) as JupyterMessage;
const stdout = (text: string): JupyterMessage => message('stream', {name: 'stdout', text});
const display = (text: string, id?: string, type = 'display_data'): JupyterMessage => message(type, {data: {'text/plain': text}, metadata: {}, ...(id ? {transient: {display_id: id}} : {})});

describe('CellOutputs', () => {
	test('keeps a display nested thousands of levels deep out, with a note, so the notebook can still be written', () => {
		let deep: unknown = [];
		for (let level = 0; level < 4050; level++) deep = [deep];
		const cell = new CellOutputs();
		cell.add(message('display_data', {data: {'application/json': deep, 'text/plain': '[[[...]]]'}, metadata: {}}));
		expect((cell.outputs[0] as IDisplayData).data).toEqual({'text/plain': `(an output nested more than ${MAX_OUTPUT_DEPTH} levels deep, not kept)`});
		const notebook = {nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [{cell_type: 'code', source: '', metadata: {}, execution_count: null, outputs: cell.outputs}]};
		expect(() => serializeNotebook(notebook)).not.toThrow();
	});

	test('merges consecutive writes to one stream, as Jupyter stores them', () => {
		const cell = new CellOutputs();
		for (const piece of ['a', 'b']) cell.add(stdout(piece));
		cell.add(message('stream', {name: 'stderr', text: 'oops'}));
		cell.add(stdout('c'));
		expect(cell.outputs.map((output) => [(output as IStream).name, (output as IStream).text])).toEqual([
			['stdout', 'ab'],
			['stderr', 'oops'],
			['stdout', 'c'],
		]);
	});

	test('clear_output clears at once', () => {
		const cell = new CellOutputs();
		cell.add(stdout('old'));
		cell.add(message('clear_output', {wait: false}));
		expect(cell.outputs).toEqual([]);
		cell.add(stdout('new'));
		expect(cell.outputs).toEqual([{output_type: 'stream', name: 'stdout', text: 'new'}]);
	});

	test('clear_output with wait keeps the old output until the next one arrives', () => {
		const cell = new CellOutputs();
		cell.add(stdout('frame 1'));
		cell.add(message('clear_output', {wait: true}));
		expect(cell.outputs).toEqual([{output_type: 'stream', name: 'stdout', text: 'frame 1'}]);
		cell.add(display('frame 2'));
		expect(cell.outputs).toEqual([{output_type: 'display_data', data: {'text/plain': 'frame 2'}, metadata: {}}]);
		// A pending wait ends with the clear: what follows is added, not cleared again.
		cell.add(stdout('and a line'));
		expect(cell.outputs).toHaveLength(2);
	});

	test('a clear_output with wait that nothing follows leaves the output as it was', () => {
		const cell = new CellOutputs();
		cell.add(stdout('last frame'));
		cell.add(message('clear_output', {wait: true}));
		expect(cell.outputs).toHaveLength(1);
	});

	test('update_display_data updates the display with that id in an earlier cell of the same notebook', () => {
		const displays: DisplayRegistry = new Map();
		const first = new CellOutputs(displays);
		first.add(display('0%', 'progress'));
		const second = new CellOutputs(displays);
		second.add(display('100%', 'progress', 'update_display_data'));
		expect((first.outputs[0] as IDisplayData).data).toEqual({'text/plain': '100%'});
		expect(second.outputs).toEqual([]);
	});

	test('a display cleared away is no longer updated', () => {
		const displays: DisplayRegistry = new Map();
		const cell = new CellOutputs(displays);
		cell.add(display('shown', 'x'));
		cell.add(message('clear_output', {wait: false}));
		expect(displays.has('x')).toBe(false);
	});

	test('a malformed message is dropped, not taken for an output', () => {
		const cell = new CellOutputs();
		expect(cell.add(message('stream', {name: 'stdin', text: 'x'}))).toBeUndefined();
		expect(cell.add(message('display_data', {data: 'not a bundle'}))).toBeUndefined();
		expect(cell.add(message('stream', {name: 'stdout', text: 42}))).toBeUndefined();
		expect(cell.outputs).toEqual([]);
	});

	test('execute_result and error outputs carry what Jupyter stores, with a null execution count', () => {
		const cell = new CellOutputs();
		cell.add(message('execute_result', {execution_count: 7, data: {'text/plain': '3'}, metadata: {}}));
		cell.add(message('error', {ename: 'RangeError', evalue: 'too big', traceback: ['RangeError: too big', '    at <cell> (Cell In[7], line 1)']}));
		expect(cell.outputs).toEqual([
			{output_type: 'execute_result', data: {'text/plain': '3'}, metadata: {}, execution_count: null},
			{output_type: 'error', ename: 'RangeError', evalue: 'too big', traceback: ['RangeError: too big', '    at <cell> (Cell In[7], line 1)']},
		]);
		expect(cell.errorReport).toBe('RangeError: too big\n    at <cell> (Cell In[7], line 1)');
	});
});

describe('MessageCodec', () => {
	test('decodes what it encodes, behind any routing ids', () => {
		const sent = message('execute_request', {code: '1 + 2'});
		const decoded = codec.decode([Buffer.from('routing-id'), ...codec.encode(sent)]);
		expect(decoded).toEqual(sent);
	});

	test('drops a message whose content was tampered with, or that was signed with another key', () => {
		const frames = codec.encode(message('execute_request', {code: '1 + 2'}));
		const tampered = [...frames];
		tampered[5] = Buffer.from(JSON.stringify({code: 'process.exit()'}));
		expect(codec.decode(tampered)).toBeUndefined();
		expect(new MessageCodec('another key').decode(frames)).toBeUndefined();
		expect(codec.decode(frames.slice(0, 4))).toBeUndefined();
	});
});

describe('renderOutputs (what --check compares)', () => {
	test("applies a notebook's sanitizers, and always hides checkout paths and library line numbers in tracebacks", () => {
		const text = renderOutputs(
			[
				{output_type: 'stream', name: 'stdout', text: 'took 123 ms on 127.0.0.1:40961\n'},
				{output_type: 'error', ename: 'Error', evalue: 'x', traceback: ['Error: x', '    at recv (/home/someone/kit/dist/client/socket.js:172:23)', '    at /srv/x/node_modules/y/z.js:1:2']},
			],
			[
				{pattern: '\\d+ ms', replacement: 'N ms'},
				{pattern: '127\\.0\\.0\\.1:\\d+', replacement: '127.0.0.1:PORT'},
			],
		);
		expect(text).toBe('--- stdout\ntook N ms on 127.0.0.1:PORT\n--- error\nError: x\nError: x\n    at recv (<project>/dist/client/socket.js:N:N)\n    at <node_modules>/y/z.js:1:2\n');
	});

	test('shows a picture by its size and hash, not its bytes', () => {
		const text = renderOutputs([{output_type: 'display_data', data: {'image/jpeg': Buffer.from('not really a jpeg').toString('base64')}, metadata: {}}], []);
		expect(text).toMatch(/^--- display_data image\/jpeg\n17 bytes, sha256 [0-9a-f]{16}\n$/);
	});
});
