import {describe, expect, test} from 'vitest';
import {MalformedResponseError, splitResponse} from '../../lib/index';
import {thrownBy} from '../helpers/rejection';
import {chapterResponse, patternBytes, RUN_1_HEADER} from '../helpers/chapter';

describe('splitResponse on the chapter response', () => {
	const response = chapterResponse(RUN_1_HEADER);
	const split = splitResponse(response);

	test('puts the header end at 240, as the chapter prints', () => {
		expect(split.headerLength).toBe(240);
		expect(split.headerText).toBe(RUN_1_HEADER);
	});

	test('leaves the 70057 body bytes, a view into the input rather than a copy', () => {
		expect(split.body.length).toBe(70057);
		expect(split.body.equals(patternBytes(70057))).toBe(true);
		expect(split.body.buffer).toBe(response.buffer);
	});

	test('parses the status line and the fields', () => {
		expect(split.status).toEqual({httpVersion: '1.1', statusCode: 200, reasonPhrase: 'OK'});
		expect(split.headers.size).toBe(8);
		expect(split.headers.get('content-type')).toBe('image/jpeg');
		expect(split.headers.get('ETAG')).toBe('"19c141-111a9-4ea280f8354b8"');
		expect(split.contentLength).toBe(70057);
		expect(split.bodyLengthMatches).toBe(true);
	});

	test('accepts a plain Uint8Array as well as a Buffer', () => {
		const copy = new Uint8Array(response);
		expect(splitResponse(copy).headerLength).toBe(240);
	});
});

const crlf = (...lines: string[]): string => lines.join('\r\n');

describe('splitResponse parses', () => {
	test.each([
		{
			what: 'a minimal response',
			input: crlf('HTTP/1.0 200 OK', '', 'hi'),
			headerLength: 15,
			status: {httpVersion: '1.0', statusCode: 200, reasonPhrase: 'OK'},
			fields: [],
			body: 'hi',
			contentLength: null,
			bodyLengthMatches: null,
		},
		{
			what: 'a status line without a reason phrase',
			input: crlf('HTTP/1.1 204', 'Content-Length: 0', '', ''),
			headerLength: 31,
			status: {httpVersion: '1.1', statusCode: 204, reasonPhrase: ''},
			fields: [{name: 'Content-Length', value: '0'}],
			body: '',
			contentLength: 0,
			bodyLengthMatches: true,
		},
		{
			what: 'a reason phrase with spaces and a body holding another blank line',
			input: crlf('HTTP/1.1 404 Not Found', 'Content-Length: 6', '', 'a\r\n\r\nb'),
			headerLength: 41,
			status: {httpVersion: '1.1', statusCode: 404, reasonPhrase: 'Not Found'},
			fields: [{name: 'Content-Length', value: '6'}],
			body: 'a\r\n\r\nb',
			contentLength: 6,
			bodyLengthMatches: true,
		},
		{
			what: 'repeated fields, kept in order, and spaces around values trimmed',
			input: crlf('HTTP/1.1 200 OK', 'Set-Cookie: a=1', 'set-cookie:b=2  ', 'X-Empty:', '', ''),
			headerLength: 60,
			status: {httpVersion: '1.1', statusCode: 200, reasonPhrase: 'OK'},
			fields: [
				{name: 'Set-Cookie', value: 'a=1'},
				{name: 'set-cookie', value: 'b=2'},
				{name: 'X-Empty', value: ''},
			],
			body: '',
			contentLength: null,
			bodyLengthMatches: null,
		},
		{
			what: 'an obsolete folded line, joined to the value before it',
			input: crlf('HTTP/1.0 200 OK', 'X-Long: first', '  second', '', ''),
			headerLength: 40,
			status: {httpVersion: '1.0', statusCode: 200, reasonPhrase: 'OK'},
			fields: [{name: 'X-Long', value: 'first second'}],
			body: '',
			contentLength: null,
			bodyLengthMatches: null,
		},
		{
			what: 'a repeated identical Content-Length, and a body longer than it',
			input: crlf('HTTP/1.1 200 OK', 'Content-Length: 2, 2', '', 'abc'),
			headerLength: 37,
			status: {httpVersion: '1.1', statusCode: 200, reasonPhrase: 'OK'},
			fields: [{name: 'Content-Length', value: '2, 2'}],
			body: 'abc',
			contentLength: 2,
			bodyLengthMatches: false,
		},
	])('$what', ({input, headerLength, status, fields, body, contentLength, bodyLengthMatches}) => {
		const split = splitResponse(Buffer.from(input, 'latin1'));
		expect(split.headerLength).toBe(headerLength);
		expect(input.slice(headerLength, headerLength + 4)).toBe('\r\n\r\n');
		expect(split.headerText).toBe(input.slice(0, headerLength));
		expect(split.status).toEqual(status);
		expect([...split.headers]).toEqual(fields);
		expect(split.body.toString('latin1')).toBe(body);
		expect(split.contentLength).toBe(contentLength);
		expect(split.bodyLengthMatches).toBe(bodyLengthMatches);
	});

	// Joining the value on every folded line was quadratic: about 25 s for these 200,000 lines. The time limit
	// is 50 times what linear work takes here, so it fails only for the quadratic kind, not for a slow machine.
	test('200,000 folded continuation lines in linear time, joined into one value', {timeout: 5000}, () => {
		const lines = Array.from({length: 200_000}, (_, i) => ` part${i}`);
		const head = ['HTTP/1.0 200 OK', 'X-Long: first', ...lines, '', ''].join('\r\n');
		const split = splitResponse(Buffer.from(head, 'latin1'));
		const value = split.headers.get('x-long')!;
		expect(value.startsWith('first part0 part1 ')).toBe(true);
		expect(value.endsWith(' part199999')).toBe(true);
		expect(value.split(' ')).toHaveLength(200_001);
	});

	test('header bytes above 127 as latin1, one character per byte', () => {
		const split = splitResponse(Buffer.from(crlf('HTTP/1.1 200 OK', 'X-Name: caf\xe9', '', ''), 'latin1'));
		expect(split.headers.get('x-name')).toBe('café');
	});
});

describe('splitResponse refuses', () => {
	test.each([
		{what: 'an empty response', input: '', message: /No blank line.*empty/, offset: 0},
		{
			what: 'a response with no blank line, perhaps cut short',
			input: crlf('HTTP/1.1 200 OK', 'Content-Length: 5'),
			message: /No blank line \(CR LF CR LF\) ends the header in 34 bytes; the response may have been cut short/,
			offset: 34,
		},
		{
			what: 'bare LF line ends, and says where the LF LF is',
			input: 'HTTP/1.1 200 OK\nServer: x\n\nbody',
			message: /No blank line.*bare LF LF at byte 25/,
			offset: 31,
		},
		{what: 'a first line that is not a status line', input: crlf('<html>', '', ''), message: /not an HTTP status line: "<html>"/, offset: 0},
		{what: 'a status code that is not three digits', input: crlf('HTTP/1.1 2000 OK', '', ''), message: /not an HTTP status line/, offset: 0},
		{
			what: 'a header line without a colon, naming its byte offset',
			input: crlf('HTTP/1.1 200 OK', 'Server: x', 'garbage', '', ''),
			message: /Header line at byte 28 is not "Name: value": "garbage"/,
			offset: 28,
		},
		{
			what: 'a Content-Length that is not a number',
			input: crlf('HTTP/1.1 200 OK', 'Content-Length: ten', '', ''),
			message: /Content-Length is not one whole number: "ten"/,
			offset: 17,
		},
		{
			what: 'two different Content-Lengths',
			input: crlf('HTTP/1.1 200 OK', 'Content-Length: 1', 'Content-Length: 2', '', ''),
			message: /Content-Length is not one whole number: "1, 2"/,
			offset: 17,
		},
	])('$what', ({input, message, offset}) => {
		const error = thrownBy(() => splitResponse(Buffer.from(input, 'latin1')));
		expect(error).toBeInstanceOf(MalformedResponseError);
		expect(error).toMatchObject({code: 'PR4E_ERR_MALFORMED_RESPONSE', offset});
		expect(error.message).toMatch(message);
	});
});
