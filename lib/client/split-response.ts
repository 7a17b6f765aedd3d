import {MalformedResponseError} from '../errors';
import {type HeaderField, HeaderFields} from './header-fields';

/** The first line of a response, e.g. `HTTP/1.1 200 OK`. */
export interface StatusLine {
	/** e.g. `'1.1'`. */
	readonly httpVersion: string;
	/** e.g. 200. */
	readonly statusCode: number;
	/** e.g. `'OK'` (may be empty). */
	readonly reasonPhrase: string;
}

/** A response split where the chapter splits it: at the first CR LF CR LF. */
export interface SplitResponse {
	/** Index of the first CR LF CR LF: what the chapter prints as `Header length` (240 for cover3.jpg). */
	readonly headerLength: number;
	/** The status line and header lines, CR LF between lines, without the blank line (latin1 decoded). */
	readonly headerText: string;
	/** Everything after the blank line, a view into the input (not a copy). */
	readonly body: Buffer;
	readonly status: StatusLine;
	readonly headers: HeaderFields;
	/** The Content-Length header's value, or `null` if the response has none. */
	readonly contentLength: number | null;
	/** Whether `body.length` equals Content-Length; `null` if there is no Content-Length to check. */
	readonly bodyLengthMatches: boolean | null;
}

const BLANK_LINE = Buffer.from('\r\n\r\n', 'latin1');
const BARE_BLANK_LINE = Buffer.from('\n\n', 'latin1');
// Every pattern here is a fixed-length prefix or a single character class, never a quantifier a failed match
// could retry: `(.*?)[ \t]*$` for a field value was quadratic, 3 to 9 s for a value of 64 K spaces between two
// letters, as each character `.*?` took scanned the spaces after it again. Values are trimmed by a loop instead.
/** `HTTP/1.1 200`: the first 12 characters of a status line; a space and the reason phrase may follow. */
const STATUS_LINE_START = /^HTTP\/(\d\.\d) (\d{3})/;
const STATUS_LINE_START_LENGTH = 'HTTP/1.1 200'.length;
/** What a regex's `.` does not match: a line is refused for one of these, as the patterns used to refuse it. */
const LINE_TERMINATOR = /[\n\r\u2028\u2029]/;
// RFC 9110 section 5.1: a field name is a token; this finds a character that is not a token's.
const NOT_TOKEN = /[^!#$%&'*+.^_`|~0-9A-Za-z-]/;
const NOT_DIGIT = /\D/;
const SPACE = 0x20;
const TAB = 0x09;

/**
 * Splits a whole HTTP response (as `retrieve` returns it) into its header and body, as the chapter does
 * with `picture.find(b'\r\n\r\n')`, and parses the status line and header fields.
 *
 * Throws `MalformedResponseError` (with the byte offset) when there is no blank line or a line of the
 * header cannot be parsed; the input is never modified.
 */
export function splitResponse(data: Uint8Array): SplitResponse {
	const bytes = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
	const headerLength = bytes.indexOf(BLANK_LINE);
	if (headerLength < 0) throw new MalformedResponseError(describeMissingBlankLine(bytes), bytes.length);

	const headerText = bytes.toString('latin1', 0, headerLength);
	const lines = headerText.split('\r\n');
	const status = parseStatusLine(lines[0]!);
	const headers = new HeaderFields(parseFieldLines(lines));
	const body = bytes.subarray(headerLength + BLANK_LINE.length);
	const contentLength = parseContentLength(headers, headerText);
	return {
		headerLength,
		headerText,
		body,
		status,
		headers,
		contentLength,
		bodyLengthMatches: contentLength === null ? null : body.length === contentLength,
	};
}

function describeMissingBlankLine(bytes: Buffer): string {
	if (bytes.length === 0) return 'No blank line (CR LF CR LF) ends the header: the response is empty';
	let message = `No blank line (CR LF CR LF) ends the header in ${bytes.length} bytes`;
	const bare = bytes.indexOf(BARE_BLANK_LINE);
	if (bare >= 0) {
		message += `; there is a bare LF LF at byte ${bare}, so the server ends lines with LF alone, which HTTP does not allow`;
	} else {
		message += '; the response may have been cut short';
	}
	return message;
}

function parseStatusLine(line: string): StatusLine {
	const start = STATUS_LINE_START.exec(line);
	// After `HTTP/1.1 200`: nothing, or a space and a reason phrase that is the rest of the line.
	const rest = line.slice(STATUS_LINE_START_LENGTH);
	if (!start || (rest !== '' && (rest[0] !== ' ' || LINE_TERMINATOR.test(rest)))) {
		throw new MalformedResponseError(`The first line is not an HTTP status line: ${JSON.stringify(line.slice(0, 80))}`, 0);
	}
	return {httpVersion: start[1]!, statusCode: Number(start[2]), reasonPhrase: rest.slice(1)};
}

function parseFieldLines(lines: string[]): HeaderField[] {
	// Each field's value as its pieces, joined once at the end: joining on every folded line would copy the
	// value so far each time, quadratic in a header of many continuation lines.
	const fields: Array<{name: string; parts: string[]}> = [];
	let offset = lines[0]!.length + 2;
	for (const line of lines.slice(1)) {
		const previous = fields[fields.length - 1];
		if (isSpaceOrTab(line.charCodeAt(0)) && previous) {
			// Obsolete line folding (RFC 9112 section 5.2): the line continues the previous value.
			previous.parts.push(line.trim());
		} else {
			const field = parseFieldLine(line);
			if (!field) {
				throw new MalformedResponseError(`Header line at byte ${offset} is not "Name: value": ${JSON.stringify(line.slice(0, 80))}`, offset);
			}
			fields.push({name: field.name, parts: [field.value]});
		}
		offset += line.length + 2;
	}
	return fields.map(({name, parts}) => ({
		name,
		value:
			parts.length === 1
				? parts[0]!
				: parts
						.filter((part) => part !== '')
						.join(' ')
						.trim(),
	}));
}

/**
 * `Name: value` with the spaces and tabs around the value left out, or null if the line is not one. One pass
 * over the line, each end trimmed by a loop: see the note above STATUS_LINE_START for why no pattern does it.
 */
function parseFieldLine(line: string): HeaderField | null {
	const colon = line.indexOf(':');
	if (colon < 1) return null;
	const name = line.slice(0, colon);
	if (NOT_TOKEN.test(name)) return null;
	let start = colon + 1;
	let end = line.length;
	while (start < end && isSpaceOrTab(line.charCodeAt(start))) start += 1;
	while (end > start && isSpaceOrTab(line.charCodeAt(end - 1))) end -= 1;
	const value = line.slice(start, end);
	return LINE_TERMINATOR.test(value) ? null : {name, value};
}

function isSpaceOrTab(code: number): boolean {
	return code === SPACE || code === TAB;
}

function parseContentLength(headers: HeaderFields, headerText: string): number | null {
	const values = headers.getAll('content-length').flatMap((value) => value.split(',').map((part) => part.trim()));
	if (values.length === 0) return null;
	const offset = headerText.toLowerCase().indexOf('content-length');
	// RFC 9110 section 8.6: repeated identical values are allowed; differing ones make the length unknowable.
	if (values.some((value) => value === '' || NOT_DIGIT.test(value)) || new Set(values).size > 1) {
		throw new MalformedResponseError(`Content-Length is not one whole number: ${JSON.stringify(values.join(', '))}`, offset);
	}
	return Number(values[0]);
}
