import {describe, expect, test} from 'vitest';
import {HeaderFields} from '../../lib/index';

describe('HeaderFields', () => {
	const fields = new HeaderFields([
		{name: 'Content-Type', value: 'text/plain'},
		{name: 'Set-Cookie', value: 'a=1'},
		{name: 'set-cookie', value: 'b=2'},
	]);

	test.each([
		{name: 'content-type', first: 'text/plain', all: ['text/plain']},
		{name: 'CONTENT-TYPE', first: 'text/plain', all: ['text/plain']},
		{name: 'Set-Cookie', first: 'a=1', all: ['a=1', 'b=2']},
		{name: 'X-Missing', first: undefined, all: []},
	])('finds $name case-insensitively', ({name, first, all}) => {
		expect(fields.get(name)).toBe(first);
		expect(fields.getAll(name)).toEqual(all);
		expect(fields.has(name)).toBe(first !== undefined);
	});

	test('keeps every line in the order it was sent', () => {
		expect(fields.size).toBe(3);
		expect([...fields].map((field) => field.name)).toEqual(['Content-Type', 'Set-Cookie', 'set-cookie']);
		expect(JSON.parse(JSON.stringify(fields))).toEqual(fields.toJSON());
	});
});
