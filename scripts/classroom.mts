import {existsSync} from 'node:fs';
import * as path from 'node:path';
import {startClassroom} from './classroom/classroom-hub.mjs';
import {LOCAL_CONFIG_NAME} from './classroom/hub-config.mjs';
import {type Cli, type CliArgs, integerFlag, isMainModule, type OptionTable, runCli, UsageError} from './support/cli.mjs';
import {ensureFreshBuild} from './support/fresh-build.mjs';
import {PROJECT_ROOT} from './support/project-paths.mjs';

const HELP = `
usage: npm run classroom -- [--learners 3] [--port 8000] [--ip 127.0.0.1] [--password WORD] [--folder .classroom]

Serves the lesson to a class from this machine with JupyterHub (Debian: apt-get install jupyterhub
jupyter-notebook), until interrupted (Ctrl-C). Prints one ready line, "classroom on http://IP:PORT",
then the learners' names and the shared password.

Each learner logs in with their name; at the first login the lesson's notebooks are copied into their
own folder (<folder>/learners/NAME/lesson), where their edits stay theirs. Every learner gets the
project's TypeScript kernel, and every notebook starts a replica of its own, so the whole class gets the
chapter's numbers at once. Run as root, each learner is a system user of the same name (made here, marked
"pr4e classroom learner"), and their server and kernels run as that user: no learner can read or change
another's folder. Run as another user, all servers run as that user, in separate folders only.

THE SHARED PASSWORD IS FOR A LOCAL TRIAL, NOT FOR A REAL CLASS. For a real one, put your settings in
<folder>/jupyterhub_config.local.py, which the hub reads last: c.JupyterHub.authenticator_class = "pam"
(the learners' system passwords, set with passwd), or an OAuth authenticator (docs/classroom.md says more).

Options:
  --learners N     how many learner accounts: learner1 ... learnerN (default 3, at most 200)
  --prefix NAME    their names start with NAME instead of "learner"
  --port N         the hub's port (default 8000)
  --ip ADDRESS     where it listens (default 127.0.0.1; 0.0.0.0 exposes it to your network: only with a
                   real authenticator and HTTPS in front)
  --password WORD  the shared password (default: a new random one, printed)
  --folder DIR     the classroom's folder: the hub's database and log, the learners' folders
                   (default .classroom in the project)
`;

/** The options, typed for util.parseArgs (strict: anything else is a usage error). */
const OPTIONS = {
	learners: {type: 'string'},
	prefix: {type: 'string'},
	port: {type: 'string'},
	ip: {type: 'string'},
	password: {type: 'string'},
	folder: {type: 'string'},
} as const satisfies OptionTable;
type Flags = CliArgs<typeof OPTIONS>;

async function main(args: Flags): Promise<number> {
	if (args._.length > 0) throw new UsageError(`unexpected argument ${args._[0]}`);
	const learners = integerFlag('learners', args.learners, 3, 1, 200);
	const port = integerFlag('port', args.port, 8000, 1, 65535);
	// An empty --ip would mean every interface: that must be asked for by name (0.0.0.0).
	if (args.ip !== undefined && args.ip.trim() === '') throw new UsageError('--ip needs an address, e.g. 127.0.0.1 (0.0.0.0 for every interface)');
	if (args.prefix !== undefined && !/^[a-z][a-z0-9-]{0,20}$/.test(args.prefix)) throw new UsageError(`--prefix must be a lower-case system user name start (a-z, 0-9, -), got "${args.prefix}"`);
	if (args.password !== undefined && args.password.length < 4) throw new UsageError('--password needs at least 4 characters');
	// After the argument checks: a usage mistake is told at once, not after a build.
	await ensureFreshBuild();
	// Listened for from the start, and to the end: the hub runs in a process group of its own, which a
	// default exit on a signal would leave behind. A Ctrl-C while it starts must still stop it, and a second
	// signal must not cut the stopping short; a closed terminal (SIGHUP) stops it too. Should this process die
	// anyway, the hub's guardian stops the hub.
	const stopAsked = new Promise<void>((resolve) => {
		const onSignal = (): void => resolve();
		for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);
	});
	const folder = path.resolve(args.folder ?? path.join(PROJECT_ROOT, '.classroom'));
	const classroom = await startClassroom({
		learners,
		port,
		folder,
		...(args.prefix === undefined ? {} : {prefix: args.prefix}),
		...(args.ip === undefined ? {} : {ip: args.ip}),
		...(args.password === undefined ? {} : {password: args.password}),
	});
	console.log(`classroom on ${classroom.url}`);
	console.log(`learners: ${classroom.learners.join(', ')}`);
	const local = path.join(folder, LOCAL_CONFIG_NAME);
	if (existsSync(local)) console.log(`authenticator and other settings: as ${local} sets them (the shared password below works only if it keeps the trial's)`);
	console.log(`shared password (a local trial only, not for real use): ${classroom.password}`);
	if (!classroom.separateUsers) console.log("not root: every learner's server runs as this user; their folders are apart, the system does not keep them apart");

	await stopAsked;
	console.log("stopping the hub and the learners' servers");
	await classroom.stop();
	return 0;
}

/** The command, exported for the tests to run in-process (runCommand). */
export const cli: Cli<typeof OPTIONS> = {help: HELP, options: OPTIONS, main};

if (isMainModule(import.meta.url)) runCli(cli);
