/**
 * A server a script starts is used once it has printed its ready line: real node processes on this machine,
 * one that gets ready, one that dies first, one that stays silent.
 */
import {describe, expect, test} from 'vitest';
import {$} from 'zx/core';
import {ProgramError} from '../../scripts/support/program-error.mjs';
import {readyLine} from '../../scripts/support/ready-line.mjs';

/** A node process running `code`, its stderr kept from the test's output. */
const node = (code: string) => $({quiet: true, nothrow: true})`${process.execPath} -e ${code}`;

describe('readyLine', () => {
	test("resolves with the ready line's match, and the program goes on printing without blocking", async () => {
		// 256 KiB after the ready line: more than a pipe holds, so a program nobody read would block before its last line.
		const server = node("console.log('starting'); console.log('listening on http://127.0.0.1:8123'); process.stdout.write('x'.repeat(262144) + '\\nlast\\n')");
		const [, port] = await readyLine(server, /^listening on .*:(\d+)$/);
		expect(port).toBe('8123');
		const output = await server;
		expect(output.exitCode).toBe(0);
		expect(output.stdout.endsWith('\nlast\n')).toBe(true);
	});

	test('finds a ready line split across two writes', async () => {
		const server = node("process.stdout.write('list'); setTimeout(() => console.log('ening on :42'), 100)");
		expect((await readyLine(server, /^listening on :(\d+)$/))[1]).toBe('42');
		await server;
	});

	test('keeps the lines after a match for the next readyLine on the same program, even from the same write', async () => {
		const server = node(`process.stdout.write('listening on :7\\nconnected\\n{"held":3}\\n'); setTimeout(() => {}, 60_000)`);
		expect((await readyLine(server, /^listening on :(\d+)$/))[1]).toBe('7');
		expect((await readyLine(server, /^connected$/, 5000))[0]).toBe('connected');
		expect((await readyLine(server, /^\{.*\}$/, 5000))[0]).toBe('{"held":3}');
		await server.kill();
	});

	test('a program that ends first is a ProgramError with its command, exit code and stderr', async () => {
		const server = node("console.error('cannot bind: EADDRINUSE'); process.exit(4)");
		const error = await readyLine(server, /^listening/).catch((caught: unknown) => caught);
		expect(error).toBeInstanceOf(ProgramError);
		expect(error).toMatchObject({exitCode: 4, command: server.cmd});
		expect((error as Error).message).toBe(`${server.cmd} exited with code 4 before printing a line matching /^listening/:\ncannot bind: EADDRINUSE`);
	});

	test('a program that says nothing in time is given up on, and left for the caller to stop', async () => {
		const server = node('setTimeout(() => {}, 60_000)');
		await expect(readyLine(server, /^listening/, 300)).rejects.toThrow(`${server.cmd} printed no line matching /^listening/ within 300 ms`);
		expect(server.stage).toBe('running');
		await server.kill();
		expect((await server).signal).toBe('SIGTERM');
	});
});
