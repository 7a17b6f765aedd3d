import {type Cli, type CliArgs, isMainModule, type OptionTable, runCli, UsageError} from './support/cli.mjs';
import {buildLibrary} from './support/fresh-build.mjs';

const HELP = `
usage: npm run build

Compiles lib/ into dist/, the package entry that notebooks, scripts and other projects load
(tsconfig.build.json), and records in dist/ what it was built from. A fresh folder replaces dist/ whole, so
nothing of an earlier build is left in it. Commands that run notebooks (lesson, grade, classroom, jupyter)
rebuild on their own when lib/ changed since; this one always builds. Exits 1 if lib/ does not compile.
`;

const OPTIONS = {} as const satisfies OptionTable;
type Flags = CliArgs<typeof OPTIONS>;

async function main(args: Flags): Promise<number> {
	if (args._.length > 0) throw new UsageError(`unexpected argument ${args._[0]}`);
	await buildLibrary();
	return 0;
}

/** The command, exported for the tests to run in-process (runCommand). */
export const cli: Cli<typeof OPTIONS> = {help: HELP, options: OPTIONS, main};

if (isMainModule(import.meta.url)) runCli(cli);
