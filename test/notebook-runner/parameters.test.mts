import {expect, test} from 'vitest';
import {declaredParameters, injectedParametersSource} from '../../scripts/notebook-runner/parameters.mjs';

test.each([
	{line: 'const LIVE = false;     // true: the real data.pr4e.org', parameter: {name: 'LIVE', type: 'boolean'}},
	{line: 'const RECV_SIZE = 5120;', parameter: {name: 'RECV_SIZE', type: 'number'}},
	{line: 'const DELAY_MS = 0.25e3', parameter: {name: 'DELAY_MS', type: 'number'}},
	{line: "const URL = 'http://data.pr4e.org/x';  // a // inside the string", parameter: {name: 'URL', type: 'string'}},
	{line: 'let NAME: string = "a\\"b";', parameter: {name: 'NAME', type: 'string'}},
	{line: 'const COUNT: number = compute();', parameter: {name: 'COUNT', type: 'number'}},
	{line: 'const SUM = 1 + 2;', parameter: undefined},
	{line: 'const OPTIONS = {a: 1};', parameter: undefined},
	{line: 'console.log(1);', parameter: undefined},
])('$line declares $parameter.name', ({line, parameter}) => {
	expect(declaredParameters(line)).toEqual(parameter ? [parameter] : []);
});

test('the injected cell declares each value again with its declared type', () => {
	const declared = declaredParameters("const DELAY_MS = 0;\nconst LINK = 'book-run-1';\nconst LIVE = false;");
	expect(injectedParametersSource(declared, ['DELAY_MS=250', 'LINK=it\'s "fast"', 'LIVE=true'])).toBe(
		['// Parameters injected by the lesson runner (--param)', 'const DELAY_MS: number = 250;', 'const LINK: string = "it\'s \\"fast\\"";', 'const LIVE: boolean = true;'].join('\n'),
	);
});

test.each(['0x10', '0b1', ' 16', '1_000', 'Infinity', ''])('refuses %j for a number: decimal only', (raw) => {
	const declared = declaredParameters('const RECV_SIZE = 5120;');
	expect(() => injectedParametersSource(declared, [`RECV_SIZE=${raw}`])).toThrow(/must be a decimal number/);
});

test('escapes the line and paragraph separators in a string, so the injected cell still compiles', () => {
	const declared = declaredParameters("const LINK = 'book-run-1';");
	const source = injectedParametersSource(declared, ['LINK=a\u2028b\u2029c']);
	expect(source).toContain('const LINK: string = "a\\u2028b\\u2029c";');
	expect(source).not.toMatch(/[\u2028\u2029]/);
});
