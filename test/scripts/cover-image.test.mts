import {readFile} from 'node:fs/promises';
import * as path from 'node:path';
import jpeg from 'jpeg-js';
import {expect, test} from 'vitest';
import {makeCoverJpeg} from '../../scripts/support/cover-image.mjs';
import {PROJECT_ROOT} from '../helpers/run-script.js';

test('scripts/make-image.mts rebuilds the committed cover3.jpg byte for byte: an original 70057-byte JPEG', async () => {
	const committed = await readFile(path.join(PROJECT_ROOT, 'lib', 'replica', 'data', 'cover3.jpg'));
	const rebuilt = makeCoverJpeg();
	expect(rebuilt.length).toBe(70057);
	expect(rebuilt.equals(committed)).toBe(true);
	const decoded = jpeg.decode(committed, {useTArray: true});
	expect([decoded.width, decoded.height]).toEqual([640, 480]);
});
