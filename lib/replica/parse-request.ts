/** What the replica understood of a request head, or the error status it must answer with. */
export type ParsedRequest =
	| {readonly ok: true; readonly method: 'GET' | 'HEAD'; readonly path: string; readonly requestLine: string}
	| {readonly ok: false; readonly status: 400 | 405; readonly reason: string; readonly requestLine: string};

// The head comes from whoever connects, so every pattern here is a fixed-length one or a single character
// class searched once, never a quantifier that a failed match could retry over the whole line: the line is
// cut at its spaces and slashes by hand, which takes one pass whatever the bytes.
// RFC 9110 section 5.1: a method is a token; this finds a character that is not a token's.
const NOT_TOKEN = /[^!#$%&'*+.^_`|~0-9A-Za-z-]/;
const WHITESPACE = /\s/;
// RFC 9112 section 3: method SP request-target SP HTTP-version; the version is the last 9 characters.
const SPACE_AND_VERSION = /^ HTTP\/\d\.\d$/;
const SPACE_AND_VERSION_LENGTH = ' HTTP/1.0'.length;
// Absolute form (RFC 9112 section 3.2.2), as the chapter sends: http://data.pr4e.org/cover3.jpg.
const HTTP_SCHEME = /^http:\/\//i;
const HTTP_SCHEME_LENGTH = 'http://'.length;
const END_OF_HOST = /[/?#]/;
const CR = 0x0d;

/**
 * Parses the request line of a head (everything before the blank line). Only the first line matters:
 * the replica answers every path the same whatever the header fields say.
 */
export function parseRequest(head: string): ParsedRequest {
	const requestLine = firstLine(head);
	const parts = splitRequestLine(requestLine);
	if (!parts) return {ok: false, status: 400, reason: 'malformed request line', requestLine};
	const {method, target} = parts;
	if (method !== 'GET' && method !== 'HEAD') return {ok: false, status: 405, reason: `method ${method} not allowed`, requestLine};

	const rawPath = target.startsWith('/') ? target : absoluteFormPath(target);
	if (rawPath === null) return {ok: false, status: 400, reason: 'request target is neither /path nor http://host/path', requestLine};
	const withoutQuery = rawPath.split('?', 1)[0]!;
	try {
		// Decoded only to compare with the resource table: %2e%2e becomes .., which names nothing there.
		return {ok: true, method, path: decodeURIComponent(withoutQuery), requestLine};
	} catch {
		return {ok: false, status: 400, reason: 'bad percent-encoding in the path', requestLine};
	}
}

/** Everything before the first LF, and before the CR in front of it if there is one (a lax client's LF alone). */
function firstLine(head: string): string {
	const lf = head.indexOf('\n');
	if (lf < 0) return head;
	return head.slice(0, lf > 0 && head.charCodeAt(lf - 1) === CR ? lf - 1 : lf);
}

/**
 * `METHOD SP target SP HTTP/d.d`, or null. The method ends at the first space, the version is the last 9
 * characters, and the target is what lies between: one or more characters, none of them whitespace.
 */
function splitRequestLine(line: string): {method: string; target: string} | null {
	const firstSpace = line.indexOf(' ');
	const versionStart = line.length - SPACE_AND_VERSION_LENGTH;
	if (firstSpace < 1 || versionStart <= firstSpace + 1) return null;
	const method = line.slice(0, firstSpace);
	const target = line.slice(firstSpace + 1, versionStart);
	if (NOT_TOKEN.test(method) || WHITESPACE.test(target) || !SPACE_AND_VERSION.test(line.slice(versionStart))) return null;
	return {method, target};
}

/**
 * The path of `http://host/path` (`/` for `http://host`), or null for anything else: another scheme, no
 * host, a `?` or `#` straight after the host, or a `#` in the path. The target holds no whitespace.
 */
function absoluteFormPath(target: string): string | null {
	if (!HTTP_SCHEME.test(target)) return null;
	const afterScheme = target.slice(HTTP_SCHEME_LENGTH);
	const hostLength = afterScheme.search(END_OF_HOST);
	if (hostLength < 0) return afterScheme === '' ? null : '/';
	if (hostLength === 0 || afterScheme[hostLength] !== '/') return null;
	const path = afterScheme.slice(hostLength);
	return path.includes('#') ? null : path;
}
