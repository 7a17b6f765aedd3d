import {HeaderFields, MalformedResponseError, type HeaderField, type SplitResponse, type StatusLine} from '../../lib/index';
import type {ParsedRequest} from '../../lib/replica/parse-request';

/*
 * splitResponse and parseRequest as they were before they were made linear, patterns and all: what the
 * property tests compare the new ones with, input for input, so that every answer (and every error's message
 * and offset) stays as it was. Their patterns backtrack, quadratic only on long runs of spaces, which the
 * property tests' short inputs never hold. Not for use outside the tests.
 */

const BLANK_LINE = Buffer.from('\r\n\r\n', 'latin1');
const BARE_BLANK_LINE = Buffer.from('\n\n', 'latin1');
const STATUS_LINE = /^HTTP\/(\d\.\d) (\d{3})(?: (.*))?$/;
const FIELD_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*(.*?)[ \t]*$/;

export function backtrackingSplitResponse(bytes: Buffer): SplitResponse {
	const headerLength = bytes.indexOf(BLANK_LINE);
	if (headerLength < 0) throw new MalformedResponseError(describeMissingBlankLine(bytes), bytes.length);
	const headerText = bytes.toString('latin1', 0, headerLength);
	const lines = headerText.split('\r\n');
	const status = parseStatusLine(lines[0]!);
	const headers = new HeaderFields(parseFieldLines(lines));
	const body = bytes.subarray(headerLength + BLANK_LINE.length);
	const contentLength = parseContentLength(headers, headerText);
	return {headerLength, headerText, body, status, headers, contentLength, bodyLengthMatches: contentLength === null ? null : body.length === contentLength};
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
	const match = STATUS_LINE.exec(line);
	if (!match) throw new MalformedResponseError(`The first line is not an HTTP status line: ${JSON.stringify(line.slice(0, 80))}`, 0);
	return {httpVersion: match[1]!, statusCode: Number(match[2]), reasonPhrase: match[3] ?? ''};
}

function parseFieldLines(lines: string[]): HeaderField[] {
	const fields: Array<{name: string; parts: string[]}> = [];
	let offset = lines[0]!.length + 2;
	for (const line of lines.slice(1)) {
		const previous = fields[fields.length - 1];
		if (/^[ \t]/.test(line) && previous) {
			previous.parts.push(line.trim());
		} else {
			const match = FIELD_LINE.exec(line);
			if (!match) throw new MalformedResponseError(`Header line at byte ${offset} is not "Name: value": ${JSON.stringify(line.slice(0, 80))}`, offset);
			fields.push({name: match[1]!, parts: [match[2]!]});
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

function parseContentLength(headers: HeaderFields, headerText: string): number | null {
	const values = headers.getAll('content-length').flatMap((value) => value.split(',').map((part) => part.trim()));
	if (values.length === 0) return null;
	const offset = headerText.toLowerCase().indexOf('content-length');
	if (values.some((value) => !/^\d+$/.test(value)) || new Set(values).size > 1) {
		throw new MalformedResponseError(`Content-Length is not one whole number: ${JSON.stringify(values.join(', '))}`, offset);
	}
	return Number(values[0]);
}

const REQUEST_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) (\S+) HTTP\/\d\.\d$/;
const ABSOLUTE_FORM = /^http:\/\/[^/?#\s]+(\/[^\s#]*)?$/i;

export function backtrackingParseRequest(head: string): ParsedRequest {
	const requestLine = head.split(/\r?\n/, 1)[0]!;
	const match = REQUEST_LINE.exec(requestLine);
	if (!match) return {ok: false, status: 400, reason: 'malformed request line', requestLine};
	const [, method, target] = match as unknown as [string, string, string];
	if (method !== 'GET' && method !== 'HEAD') return {ok: false, status: 405, reason: `method ${method} not allowed`, requestLine};
	let rawPath: string;
	if (target.startsWith('/')) rawPath = target;
	else {
		const absolute = ABSOLUTE_FORM.exec(target);
		if (!absolute) return {ok: false, status: 400, reason: 'request target is neither /path nor http://host/path', requestLine};
		rawPath = absolute[1] ?? '/';
	}
	const withoutQuery = rawPath.split('?', 1)[0]!;
	try {
		return {ok: true, method, path: decodeURIComponent(withoutQuery), requestLine};
	} catch {
		return {ok: false, status: 400, reason: 'bad percent-encoding in the path', requestLine};
	}
}
