import fc from 'fast-check';
import {describe, expect, test} from 'vitest';
import {parseRequest} from '../../lib/replica/parse-request';
import {backtrackingParseRequest} from '../helpers/backtracking-parsers';

// Why these properties: the replica parses whatever a client sends, and answers every path from its table. So
// any well-formed request line (origin form or absolute form, any path the client percent-encoded, any query,
// any header lines after it) must come back as the method and the decoded path it names; any other token as a
// method gets 405; and no string at all, well-formed or not, may throw: every way out is an answer. Last, the
// parser was rewritten without backtracking patterns, so on any head it must answer exactly as the patterns did.
// Seeded, so that a failure reproduces: fast-check prints the seed and the path of the smallest failing case.

const SEED = 22;
const RUNS = 4000;

const TOKEN_CHARACTERS = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const token = fc.string({unit: fc.constantFrom(...TOKEN_CHARACTERS), minLength: 1, maxLength: 10});
const version = fc.tuple(fc.integer({min: 0, max: 9}), fc.integer({min: 0, max: 9})).map(([major, minor]) => `HTTP/${major}.${minor}`);
/** Path segments as a client means them, any Unicode text, and as it sends them, percent-encoded. */
const segments = fc.array(fc.string({unit: 'binary', maxLength: 8}), {maxLength: 4});
const encodedPath = (parts: string[]): string => `/${parts.map(encodeURIComponent).join('/')}`;
/** A query: no whitespace, no `#`, anything else as it comes (it is cut off before decoding). */
const query = fc.option(
	fc.string({unit: fc.constantFrom(..."abc=&%?/:@!$'()*+,;~._-%zz".split('')), maxLength: 12}).map((text) => `?${text}`),
	{nil: undefined},
);
const host = fc.string({unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789.-:[]'.split('')), minLength: 1, maxLength: 20});
/** What follows the request line: nothing, or header lines after a CR LF or a lax client's bare LF. */
const afterTheLine = fc.oneof(
	fc.constant(''),
	fc.tuple(fc.constantFrom('\r\n', '\n'), fc.string({unit: 'binary', maxLength: 30})).map(([end, rest]) => end + rest),
);

/** Strings shaped like a request line often enough to reach every branch of the parser. */
const requestLike = fc
	.tuple(
		fc.oneof(fc.constantFrom('GET', 'HEAD', 'get', 'PUT', '', 'G ET'), token),
		fc.constantFrom(' ', ' ', '  ', '\t', ''),
		fc.oneof(
			fc.constantFrom(
				'/',
				'/cover3.jpg',
				'http://data.pr4e.org/cover3.jpg',
				'http://h',
				'HTTP://H/x',
				'https://h/',
				'http://',
				'http:///x',
				'http://h?x',
				'http://h#x',
				'http://h/a#b',
				'/a%zz',
				'/%2e%2e/',
				'/a b',
				'*',
			),
			fc.string({unit: fc.constantFrom(...'/h:tp.%2e?#a \t\r\n\u00a0\u2028'.split('')), maxLength: 14}),
		),
		fc.constantFrom(' HTTP/1.0', ' HTTP/1.1', ' HTTP/1.0', ' HTTP/10', ' HTTP/1.0 ', ' http/1.0', 'HTTP/1.0', ' HTTP/1.0\r', ''),
		afterTheLine,
	)
	.map((parts) => parts.join(''));

describe('parseRequest, for any head', () => {
	test('gives back the method and the decoded path of any well-formed origin-form request', () => {
		fc.assert(
			fc.property(fc.constantFrom('GET', 'HEAD'), segments, query, version, afterTheLine, (method, parts, search, httpVersion, rest) => {
				const requestLine = `${method} ${encodedPath(parts)}${search ?? ''} ${httpVersion}`;
				expect(parseRequest(requestLine + rest)).toEqual({ok: true, method, path: `/${parts.join('/')}`, requestLine});
			}),
			{seed: SEED, numRuns: RUNS},
		);
	});

	test('gives back the path of any well-formed absolute-form request, / when there is none', () => {
		fc.assert(
			fc.property(fc.mixedCase(fc.constant('http://')), host, fc.option(segments, {nil: undefined}), version, (scheme, name, parts, httpVersion) => {
				const requestLine = `GET ${scheme}${name}${parts === undefined ? '' : encodedPath(parts)} ${httpVersion}`;
				const path = parts === undefined ? '/' : `/${parts.join('/')}`;
				expect(parseRequest(requestLine)).toEqual({ok: true, method: 'GET', path, requestLine});
			}),
			{seed: SEED, numRuns: RUNS},
		);
	});

	test('answers 405, naming the method, for any other token as a method', () => {
		fc.assert(
			fc.property(
				token.filter((method) => method !== 'GET' && method !== 'HEAD'),
				segments,
				(method, parts) => {
					const requestLine = `${method} ${encodedPath(parts)} HTTP/1.0`;
					expect(parseRequest(requestLine)).toEqual({ok: false, status: 405, reason: `method ${method} not allowed`, requestLine});
				},
			),
			{seed: SEED, numRuns: RUNS},
		);
	});

	test('never throws, and answers 400 or 405 for what it does not take, on any string at all', () => {
		const anyString = fc.oneof(requestLike, fc.string({unit: fc.integer({min: 0, max: 0xffff}).map((code) => String.fromCharCode(code)), maxLength: 40}));
		fc.assert(
			fc.property(anyString, (head) => {
				const parsed = parseRequest(head);
				expect(parsed.requestLine).toBe(head.split(/\r?\n/, 1)[0]);
				if (!parsed.ok) expect([400, 405]).toContain(parsed.status);
			}),
			{seed: SEED, numRuns: RUNS},
		);
	});

	test('answers exactly as the backtracking patterns did', () => {
		fc.assert(
			fc.property(requestLike, (head) => {
				expect(parseRequest(head)).toEqual(backtrackingParseRequest(head));
			}),
			{seed: SEED, numRuns: RUNS},
		);
	});
});
