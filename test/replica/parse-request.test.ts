import {expect, test} from 'vitest';
import {parseRequest} from '../../lib/replica/parse-request';

test.each([
	{head: 'GET http://data.pr4e.org/cover3.jpg HTTP/1.0', expected: {ok: true, method: 'GET', path: '/cover3.jpg'}},
	{head: 'GET /cover3.jpg HTTP/1.1\r\nHost: data.pr4e.org', expected: {ok: true, method: 'GET', path: '/cover3.jpg'}},
	{head: 'HEAD /romeo.txt HTTP/1.0', expected: {ok: true, method: 'HEAD', path: '/romeo.txt'}},
	{head: 'GET http://data.pr4e.org HTTP/1.0', expected: {ok: true, method: 'GET', path: '/'}},
	{head: 'GET http://127.0.0.1:8080/romeo.txt?x=1 HTTP/1.0', expected: {ok: true, method: 'GET', path: '/romeo.txt'}},
	{head: 'GET /%2e%2e/etc/passwd HTTP/1.0', expected: {ok: true, method: 'GET', path: '/../etc/passwd'}},
	{head: 'GET /a\nX: y', expected: {ok: false, status: 400}},
	{head: 'GET /%zz HTTP/1.0', expected: {ok: false, status: 400}},
	{head: 'GET cover3.jpg HTTP/1.0', expected: {ok: false, status: 400}},
	{head: 'GET https://data.pr4e.org/cover3.jpg HTTP/1.0', expected: {ok: false, status: 400}},
	{head: 'get /cover3.jpg HTTP/1.0', expected: {ok: false, status: 405}},
	{head: 'PUT /cover3.jpg HTTP/1.1', expected: {ok: false, status: 405}},
	{head: 'CONNECT data.pr4e.org:443 HTTP/1.1', expected: {ok: false, status: 405}},
	{head: '', expected: {ok: false, status: 400}},
])('parses $head', ({head, expected}) => {
	expect(parseRequest(head)).toMatchObject({...expected, requestLine: head.split(/\r?\n/)[0]});
});
