import {type Cli, type CliArgs, isMainModule, type OptionTable, runCli, UsageError} from './support/cli.mjs';
import {describeSnapshot, snapshotStatus, updateSnapshot} from './kernel-snapshot/build-snapshot.mjs';

const HELP = `
usage: npm run kernel:snapshot -- [--check | --force] [--optional]

Builds the tslab kernel's V8 startup snapshot into node_modules/.cache/tslab-snapshot, unless the one there
is current: built by this node (the same binary, NODE_OPTIONS and CPU) from the tslab, TypeScript and type
libraries installed now. A kernel started from it has its compiler loaded and the type libraries every cell
is checked against parsed already (scripts/kernel-snapshot/). npm install, npm run kernel:install and the
classroom image's build run it; without a usable snapshot the kernel starts as before, only slower.

  --check     build nothing: say whether the snapshot is current (exit 0) or why not (exit 1)
  --force     build it even if it is current
  --optional  if the build fails, warn and exit 0 (npm install's prepare step: the kernel works without it)
`;

/** The options, typed for util.parseArgs (strict: anything else is a usage error). */
const OPTIONS = {check: {type: 'boolean'}, force: {type: 'boolean'}, optional: {type: 'boolean'}} as const satisfies OptionTable;
type Flags = CliArgs<typeof OPTIONS>;

async function main(args: Flags): Promise<number> {
	if (args._.length > 0) throw new UsageError(`unexpected argument ${args._[0]}`);
	if (args.check && args.force) throw new UsageError('--check builds nothing and --force builds anyway: give one');
	if (args.check) {
		const status = await snapshotStatus();
		console.log(status.current ? `the kernel's snapshot is current: ${describeSnapshot(status.manifest)}` : `the kernel's snapshot is not current: ${status.why}`);
		return status.current ? 0 : 1;
	}
	try {
		await updateSnapshot({force: Boolean(args.force), log: (line) => console.log(line)});
		return 0;
	} catch (error) {
		if (!args.optional) throw error;
		console.warn(`warning: the kernel's snapshot could not be built, so kernels start without it (slower): ${(error as Error).message}`);
		return 0;
	}
}

/** The command, exported for the tests to run in-process (runCommand). */
export const cli: Cli<typeof OPTIONS> = {help: HELP, options: OPTIONS, main};

if (isMainModule(import.meta.url)) runCli(cli);
