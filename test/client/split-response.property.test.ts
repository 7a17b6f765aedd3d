import fc from 'fast-check';
import {describe, expect, test} from 'vitest';
import {MalformedResponseError, splitResponse, type SplitResponse} from '../../lib/index';
import {backtrackingSplitResponse} from '../helpers/backtracking-parsers';

// Why these properties: splitResponse takes bytes from any server, and the lesson's picture is whatever
// follows the first blank line. So: a response built from any header fields and any body (CR LF CR LF in
// the body included) must split back into exactly those fields, that header text and that body, at the
// first blank line; bytes with no blank line must be refused with the typed error; and no input at all may
// end in anything but a result or that typed error. Last, the parser was rewritten without backtracking
// patterns, so on any input it must answer exactly as the patterns did (the same result, or the same error
// with the same message and offset). Seeded, so that a failure reproduces: fast-check prints the seed and
// the path of the smallest failing case.

const SEED = 22;
const RUNS = 3000;

const CRLF = '\r\n';
const BLANK_LINE = Buffer.from('\r\n\r\n', 'latin1');
const TOKEN_CHARACTERS = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** Any latin1 character but CR and LF, which end a line. */
const lineCharacter = fc
	.integer({min: 0, max: 255})
	.filter((code) => code !== 0x0a && code !== 0x0d)
	.map((code) => String.fromCharCode(code));
const token = fc.string({unit: fc.constantFrom(...TOKEN_CHARACTERS), minLength: 1, maxLength: 12});
/** Some names from a small set, so that fields are repeated, in different cases. */
const fieldName = fc.oneof(token, fc.constantFrom('Set-Cookie', 'set-cookie', 'SET-COOKIE', 'X-Repeated', 'x-repeated')).filter((name) => name.toLowerCase() !== 'content-length');
const spacesAndTabs = fc.string({unit: fc.constantFrom(' ', '\t'), maxLength: 3});
const field = fc.record({name: fieldName, before: spacesAndTabs, value: fc.string({unit: lineCharacter, maxLength: 30}), after: spacesAndTabs});
const statusLine = fc.record({
	version: fc.tuple(fc.integer({min: 0, max: 9}), fc.integer({min: 0, max: 9})).map(([major, minor]) => `${major}.${minor}`),
	code: fc.integer({min: 0, max: 999}),
	reason: fc.option(fc.string({unit: lineCharacter, maxLength: 20}), {nil: undefined}),
});
/** Random bytes with blank lines and line ends among them. */
const body = fc.array(fc.oneof(fc.uint8Array({maxLength: 40}), fc.constantFrom(BLANK_LINE, Buffer.from(CRLF), Buffer.from('\n\n'))), {maxLength: 6}).map((pieces) => Buffer.concat(pieces));

/** What the parser does to a value: the spaces and tabs at either end go, nothing else. */
function trimSpacesAndTabs(text: string): string {
	let start = 0;
	let end = text.length;
	while (start < end && (text[start] === ' ' || text[start] === '\t')) start += 1;
	while (end > start && (text[end - 1] === ' ' || text[end - 1] === '\t')) end -= 1;
	return text.slice(start, end);
}

/** Text of one line that is often almost right: digits, commas, colons, spaces, tabs, any latin1. */
const nearlyAnything = fc.string({unit: fc.oneof(lineCharacter, fc.constantFrom(' ', '\t', ',', '1', '2', '\u00a0', ':')), maxLength: 12});
/** Text with a bare CR or LF in it, which no line may hold. */
const withBareLineEnd = fc.tuple(nearlyAnything, fc.constantFrom('\r', '\n'), nearlyAnything).map((parts) => parts.join(''));
const sometimes = <T>(usual: fc.Arbitrary<T>, unusual: fc.Arbitrary<T>): fc.Arbitrary<T> => fc.oneof({weight: 9, arbitrary: usual}, {weight: 1, arbitrary: unusual});
/** A header line as a server might get it right or wrong: a name (or not), a colon (or not), a value; or a fold. */
const lineOfAHeader = sometimes(
	fc
		.tuple(
			sometimes(fc.oneof(token, fc.constantFrom('Content-Length', 'content-length')), fc.oneof(fc.constantFrom('X A', ''), nearlyAnything)),
			sometimes(fc.constantFrom(':', ': ', ':\t'), fc.constantFrom(' :', '::', '')),
			nearlyAnything,
		)
		.map(([name, colon, value]) => name + colon + value),
	fc.oneof(
		fc.tuple(fc.constantFrom(' ', '\t'), nearlyAnything).map(([fold, value]) => fold + value),
		nearlyAnything,
		withBareLineEnd,
	),
);
/** Bytes shaped like a response often enough to reach every branch: status lines, field lines, folds, CRs, LFs. */
const responseLikeBytes = fc
	.tuple(
		sometimes(
			fc.constantFrom('HTTP/1.1 200 OK', 'HTTP/1.0 404 Not Found', 'HTTP/1.1 204', 'HTTP/1.1 304 '),
			fc.oneof(fc.constantFrom('HTTP/1.1 2000 OK', 'HTTP/1.1 200 \r', 'http/1.1 200 OK', 'HTTP/1.1 20', 'HTTP/11 200 OK'), nearlyAnything, withBareLineEnd),
		),
		fc.array(lineOfAHeader, {maxLength: 5}),
		sometimes(fc.constant('\r\n\r\n'), fc.constantFrom('\n\n', '\r\n', '\r\n\r', '')),
		nearlyAnything,
	)
	.map(([status, lines, end, rest]) => Buffer.from(status + lines.map((line) => CRLF + line).join('') + end + rest, 'latin1'));

/** Everything a SplitResponse says, as plain data, to compare two of them. */
function plain(split: SplitResponse): unknown {
	return {...split, body: [...split.body], headers: split.headers.toJSON()};
}

describe('splitResponse, for any response', () => {
	test('splits a response built from any fields and body back into them, at the first blank line', () => {
		fc.assert(
			fc.property(statusLine, fc.array(field, {maxLength: 8}), body, (status, fields, bodyBytes) => {
				const firstLine = `HTTP/${status.version} ${String(status.code).padStart(3, '0')}${status.reason === undefined ? '' : ` ${status.reason}`}`;
				const headerText = [firstLine, ...fields.map(({name, before, value, after}) => `${name}:${before}${value}${after}`)].join(CRLF);
				const response = Buffer.concat([Buffer.from(headerText, 'latin1'), BLANK_LINE, bodyBytes]);

				const split = splitResponse(response);
				expect(split.headerLength).toBe(headerText.length);
				expect(split.headerText).toBe(headerText);
				expect(split.status).toEqual({httpVersion: status.version, statusCode: status.code, reasonPhrase: status.reason ?? ''});
				const expected = fields.map(({name, value}) => ({name, value: trimSpacesAndTabs(value)}));
				expect([...split.headers]).toEqual(expected);
				for (const {name} of fields) {
					const same = expected.filter((other) => other.name.toLowerCase() === name.toLowerCase()).map((other) => other.value);
					expect(split.headers.getAll(name.toUpperCase())).toEqual(same);
					expect(split.headers.get(name.toLowerCase())).toBe(same[0]);
				}
				expect(split.body.equals(bodyBytes)).toBe(true);
				expect(split.contentLength).toBeNull();
			}),
			{seed: SEED, numRuns: RUNS},
		);
	});

	test('reads a Content-Length and says whether the body matches it', () => {
		fc.assert(
			fc.property(body, fc.nat({max: 200}), fc.constantFrom('Content-Length', 'content-length', 'CONTENT-LENGTH'), (bodyBytes, length, name) => {
				const response = Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\n${name}: ${length}`, 'latin1'), BLANK_LINE, bodyBytes]);
				const split = splitResponse(response);
				expect(split.contentLength).toBe(length);
				expect(split.bodyLengthMatches).toBe(bodyBytes.length === length);
			}),
			{seed: SEED, numRuns: RUNS},
		);
	});

	test('refuses bytes without a blank line with MalformedResponseError, at their end', () => {
		const lineEndsOften = fc.oneof({weight: 3, arbitrary: fc.integer({min: 0, max: 255})}, {weight: 2, arbitrary: fc.constantFrom(0x0d, 0x0a)});
		const withoutBlankLine = fc
			.array(lineEndsOften, {maxLength: 60})
			.map((codes) => Buffer.from(codes))
			.filter((bytes) => bytes.indexOf(BLANK_LINE) < 0);
		fc.assert(
			fc.property(withoutBlankLine, (bytes) => {
				let error: unknown;
				try {
					splitResponse(bytes);
				} catch (thrown) {
					error = thrown;
				}
				expect(error).toBeInstanceOf(MalformedResponseError);
				expect(error).toMatchObject({code: 'PR4E_ERR_MALFORMED_RESPONSE', offset: bytes.length});
			}),
			{seed: SEED, numRuns: RUNS},
		);
	});

	test('never throws anything but MalformedResponseError, and when it answers, splits at the first blank line', () => {
		fc.assert(
			fc.property(
				fc.oneof(
					responseLikeBytes,
					fc.uint8Array({maxLength: 80}).map((bytes) => Buffer.from(bytes)),
				),
				(bytes) => {
					let split: SplitResponse;
					try {
						split = splitResponse(bytes);
					} catch (error) {
						expect(error).toBeInstanceOf(MalformedResponseError);
						return;
					}
					expect(split.headerLength).toBe(bytes.indexOf(BLANK_LINE));
					expect(split.body.equals(bytes.subarray(split.headerLength + 4))).toBe(true);
				},
			),
			{seed: SEED, numRuns: RUNS},
		);
	});

	test('answers exactly as the backtracking patterns did: the same result, or the same error, message and offset', () => {
		const outcome = (parse: (bytes: Buffer) => SplitResponse, bytes: Buffer): unknown => {
			try {
				return plain(parse(bytes));
			} catch (error) {
				const {name, message, offset} = error as MalformedResponseError;
				return {name, message, offset};
			}
		};
		fc.assert(
			fc.property(responseLikeBytes, (bytes) => {
				expect(outcome(splitResponse, bytes)).toEqual(outcome(backtrackingSplitResponse, bytes));
			}),
			{seed: SEED, numRuns: RUNS},
		);
	});
});
