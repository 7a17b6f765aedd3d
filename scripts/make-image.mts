import {mkdir, readFile, writeFile} from 'node:fs/promises';
import {fileURLToPath} from 'node:url';
import {COVER_BYTES, COVER_HEIGHT, COVER_WIDTH, encodeCover, padWithComments} from './support/cover-image.mjs';
import {type Cli, type CliArgs, isMainModule, type OptionTable, runCli} from './support/cli.mjs';

const HELP = `
usage: npx tsx scripts/make-image.mts [--check]

Draws the lesson's cover picture (a lake at sunset, computed from formulas: no image or font files),
encodes it as a baseline JPEG with jpeg-js and pads it with JPEG comment segments to exactly
${COVER_BYTES} bytes, the size of the chapter's cover3.jpg, then writes lib/replica/data/cover3.jpg.
The output is byte-for-byte the same on every run.

  --check   write nothing; exit 1 if lib/replica/data/cover3.jpg differs from what would be written, else 0
`;

const COVER_PATH = fileURLToPath(new URL('../lib/replica/data/cover3.jpg', import.meta.url));

/** The options, typed for util.parseArgs (strict: anything else is a usage error). */
const OPTIONS = {check: {type: 'boolean'}} as const satisfies OptionTable;
type Flags = CliArgs<typeof OPTIONS>;

async function main(args: Flags): Promise<number> {
	const {encoded, quality} = encodeCover();
	const cover = padWithComments(encoded, COVER_BYTES);
	if (args.check) {
		const committed = await readFile(COVER_PATH).catch(() => undefined);
		if (committed?.equals(cover)) {
			console.log(`lib/replica/data/cover3.jpg is up to date (${cover.length} bytes)`);
			return 0;
		}
		console.log(`lib/replica/data/cover3.jpg ${committed ? 'differs from' : 'is missing, unlike'} what scripts/make-image.mts writes`);
		return 1;
	}
	await mkdir(fileURLToPath(new URL('../lib/replica/data/', import.meta.url)), {recursive: true});
	await writeFile(COVER_PATH, cover);
	console.log(`wrote lib/replica/data/cover3.jpg: ${cover.length} bytes, ${COVER_WIDTH}x${COVER_HEIGHT} ` + `(JPEG quality ${quality}, ${encoded.length} bytes before the comment padding)`);
	return 0;
}

/** The command, exported for the tests to run in-process (runCommand). */
export const cli: Cli<typeof OPTIONS> = {help: HELP, options: OPTIONS, main};

if (isMainModule(import.meta.url)) runCli(cli);
