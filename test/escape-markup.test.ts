import {describe, expect, test} from 'vitest';
import {escapeMarkup} from '../lib/escape-markup';
import {errorResponse} from '../lib/replica/response-head';

describe('escapeMarkup', () => {
	test.each([
		['plain text', 'plain text'],
		['<script>alert(1)</script>', '&#60;script&#62;alert(1)&#60;/script&#62;'],
		[`a "quoted" and 'quoted' & more`, 'a &#34;quoted&#34; and &#39;quoted&#39; &#38; more'],
		['&#60;', '&#38;#60;'],
	])('makes %j inert as %j', (text, escaped) => {
		expect(escapeMarkup(text)).toBe(escaped);
	});

	test("is what the replica's error pages use, so a path in one cannot end an attribute or open a tag", () => {
		const page = errorResponse(404, `The requested URL /'"><img src=x> was not found on this server.`, 'Sat, 02 Nov 2013 02:15:07 GMT').toString('latin1');
		expect(page).toContain('<p>The requested URL /&#39;&#34;&#62;&#60;img src=x&#62; was not found on this server.</p>');
	});
});
