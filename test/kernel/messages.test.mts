/**
 * What the project's patched tslab (patches/tslab+1.0.22.patch) tells Jupyter, seen on the wire from a real
 * kernel: values as execute_result, errors as `error` messages with tracebacks a learner can read, a
 * shorthand property naming an earlier cell's variable, clear_output, and the history.
 * Jupyter's own conformance suite runs in conformance.test.mts; these are the details it leaves out.
 */
import * as path from 'node:path';
import {afterAll, beforeAll, describe, expect, test} from 'vitest';
import {Kernel} from '../../scripts/notebook-runner/kernel.mjs';
import {projectKernelSpec} from '../../scripts/notebook-runner/kernelspec.mjs';
import {PROJECT_ROOT} from '../../scripts/support/project-paths.mjs';
import type {JupyterMessage} from '../../scripts/notebook-runner/wire.mjs';

let kernel: Kernel;

beforeAll(async () => {
	kernel = await Kernel.start(projectKernelSpec('tslab'), {cwd: path.join(PROJECT_ROOT, 'notebooks')});
});

afterAll(async () => {
	await kernel?.shutdown();
});

interface Run {
	status: string;
	/** The iopub messages of the cell, statuses and execute_input left out. */
	messages: JupyterMessage[];
}

async function run(code: string): Promise<Run> {
	const messages: JupyterMessage[] = [];
	const onOutput = (message: JupyterMessage): void => {
		if (message.header.msg_type !== 'execute_input') messages.push(message);
	};
	// Many cells here fail on purpose and the next must still run: no stop_on_error, as nbclient sends it for them.
	const outcome = await kernel.execute(code, {timeoutMs: 30_000, onOutput, stopOnError: false});
	return {status: outcome.status, messages};
}

function only(result: Run, type: string): Record<string, unknown> {
	const found = result.messages.filter((message) => message.header.msg_type === type);
	expect(found, JSON.stringify(result.messages.map((message) => message.header.msg_type))).toHaveLength(1);
	return found[0]!.content;
}

describe("the project kernel's messages", () => {
	test("a shorthand property names the earlier cell's variable, in an object and in a destructuring", async () => {
		expect((await run("const host = '127.0.0.1'; const port = 8080; let request = 'GET / HTTP/1.0';")).status).toBe('ok');
		const made = await run('({host, port, request})');
		expect(only(made, 'execute_result')['data']).toEqual({'text/plain': "{ host: '127.0.0.1', port: 8080, request: 'GET / HTTP/1.0' }"});
		expect((await run("({request} = {request: 'GET /romeo.txt HTTP/1.0'});")).status).toBe('ok');
		expect(only(await run('request'), 'execute_result')['data']).toEqual({'text/plain': "'GET /romeo.txt HTTP/1.0'"});
	});

	test("a cell's last value is an execute_result with its count; undefined shows nothing; nothing is printed", async () => {
		const value = await run('[1, 2].map((n) => n * 10)');
		const result = only(value, 'execute_result');
		expect(result['data']).toEqual({'text/plain': '[ 10, 20 ]'});
		expect(typeof result['execution_count']).toBe('number');
		expect(value.messages.filter((message) => message.header.msg_type === 'stream')).toEqual([]);
		expect(only(await run('null'), 'execute_result')['data']).toEqual({'text/plain': 'null'});
		expect((await run('undefined')).messages).toEqual([]);
	});

	test("an error names itself and points at the cell's lines, also inside a function from an earlier cell", async () => {
		expect((await run('function check(n: number) {\n  if (n > 2) throw new RangeError(`too big: ${n}`);\n  return n;\n}')).status).toBe('ok');
		const failed = await run('const small = check(1);\nconst big = check(3);');
		expect(failed.status).toBe('error');
		const error = only(failed, 'error');
		expect(error['ename']).toBe('RangeError');
		expect(error['evalue']).toBe('too big: 3');
		const traceback = error['traceback'] as string[];
		expect(traceback[0]).toBe('RangeError: too big: 3');
		expect(traceback).toContainEqual(expect.stringMatching(/^ {4}at check \(Cell In\[\d+\], line 2\)$/));
		expect(traceback).toContainEqual('        if (n > 2) throw new RangeError(`too big: ${n}`);');
		expect(traceback).toContainEqual(expect.stringMatching(/^ {4}at <cell> \(Cell In\[\d+\], line 2\)$/));
		expect(traceback).toContainEqual('        const big = check(3);');
		expect(traceback.join('\n')).not.toMatch(/node:internal|node_modules|evalmachine|__tslab/);
		// Nothing on stderr: the error message is the whole report.
		expect(failed.messages.map((message) => message.header.msg_type)).toEqual(['error']);
	});

	test('a rejected await and an error from the library keep the cell frame and the library frames', async () => {
		const failed = await run("import {Socket} from '..';\nconst nobody = await Socket.connect('127.0.0.1', 1);");
		const error = only(failed, 'error');
		expect(error['ename']).toMatch(/Error$/);
		const traceback = (error['traceback'] as string[]).join('\n');
		expect(traceback).toContain("const nobody = await Socket.connect('127.0.0.1', 1);");
		expect(traceback).toMatch(/ECONNREFUSED/);
	});

	test('a compile error names the line and column and marks the spot, as a CompileError', async () => {
		const failed = await run("const fine = 1;\nconst count: number = 'three';");
		const error = only(failed, 'error');
		expect(error['ename']).toBe('CompileError');
		expect(error['evalue']).toBe("Type 'string' is not assignable to type 'number'.");
		expect(error['traceback']).toEqual([
			'CompileError: TypeScript cannot compile this cell',
			expect.stringMatching(/^Cell In\[\d+\], line 2, column 7: Type 'string' is not assignable to type 'number'\. \(TS2322\)$/),
			"    const count: number = 'three';",
			'          ^^^^^',
		]);
	});

	test('clearOutput sends clear_output, with wait as asked', async () => {
		const cleared = await run("import * as tslab from 'tslab';\nconsole.log('old');\ntslab.clearOutput({wait: true});\nconsole.log('new');");
		expect(cleared.messages.map((message) => message.header.msg_type)).toEqual(['stream', 'clear_output', 'stream']);
		expect(only(cleared, 'clear_output')).toEqual({wait: true});
		expect(only(await run('tslab.clearOutput();'), 'clear_output')).toEqual({wait: false});
	});

	test("an error thrown after its cell ended is printed with the cell's line, not the compiled code's", async () => {
		const later = await run("setTimeout(() => {\n    throw new RangeError('too late');\n}, 10);\nawait new Promise((resolve) => setTimeout(resolve, 200));");
		const stderr = later.messages
			.map((message) => message.content)
			.filter((content) => content['name'] === 'stderr')
			.map((content) => String(content['text']))
			.join('');
		expect(stderr).toContain('UncaughtException: RangeError: too late');
		expect(stderr).toMatch(/at \S+ \(Cell In\[\d+\], line 2\)\n {8}throw new RangeError\('too late'\);/);
		expect(stderr).not.toMatch(/__tslab_cell_|node:internal/);
	});

	test('a failed cell sent without stop_on_error does not abort the next cell, sent as soon as it replied', async () => {
		expect((await run("throw new Error('first');")).status).toBe('error');
		const next = await run("'second'");
		expect(next.status).toBe('ok');
		expect(only(next, 'execute_result')['data']).toEqual({'text/plain': "'second'"});
	});

	test('throwing something that is not an Error still gives a readable error', async () => {
		const error = only(await run("throw 'plain words';"), 'error');
		expect(error).toEqual({ename: 'Uncaught', evalue: "'plain words'", traceback: ["Uncaught 'plain words'"]});
	});
});
