/** What a script says when a program it ran failed: real programs, run by zx through bash. */
import {describe, expect, test} from 'vitest';
import {$} from 'zx/core';
import {ProgramError, succeeded} from '../../scripts/support/program-error.mjs';

describe('succeeded', () => {
	test('gives the output of a program that exited with 0', async () => {
		const output = await succeeded($({quiet: true})`printf ${'one\ntwo\n'}`);
		expect(output.stdout).toBe('one\ntwo\n');
	});

	test('a program that failed is a ProgramError: its command, exit code, and the end of its stderr', async () => {
		const program = $({quiet: true})`${process.execPath} -e ${"process.stderr.write('x'.repeat(5000) + 'the reason'); process.exit(3)"}`;
		const error = await succeeded(program).catch((caught: unknown) => caught);
		expect(error).toBeInstanceOf(ProgramError);
		expect(error).toMatchObject({command: program.cmd, exitCode: 3, signal: null});
		const message = (error as Error).message;
		expect(message.startsWith(`${program.cmd} exited with code 3:\n`)).toBe(true);
		// The end of stderr, 2000 characters of it, where programs say what went wrong.
		expect(message.endsWith('the reason')).toBe(true);
		expect(message.length).toBe(`${program.cmd} exited with code 3:\n`.length + 2000);
	});

	test('a program ended by a signal says which', async () => {
		const program = $({quiet: true})`${process.execPath} -e ${"process.kill(process.pid, 'SIGKILL')"}`;
		await expect(succeeded(program)).rejects.toThrow(`${program.cmd} was ended by SIGKILL`);
	});

	test('a program that is not installed says so', async () => {
		await expect(succeeded($({quiet: true})`no-such-program-26`)).rejects.toThrow(/no-such-program-26 exited with code 127:\n.*no-such-program-26: command not found/);
	});
});
