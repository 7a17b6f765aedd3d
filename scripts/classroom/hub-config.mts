/** The jupyterhub_config.py of a classroom on one machine: who may log in, where each learner works, which kernel. */
import {mkdir, writeFile} from 'node:fs/promises';
import * as path from 'node:path';
import {PROJECT_ROOT} from '../support/project-paths.mjs';

/** The script that gives a learner their copy of the lesson at first login (also used by the image). */
export const SEED_LEARNER_FOLDER = path.join(PROJECT_ROOT, 'scripts', 'classroom', 'seed-learner-folder.sh');

/** The teacher's own additions to the hub's configuration, in the classroom's folder; never written by the project. */
export const LOCAL_CONFIG_NAME = 'jupyterhub_config.local.py';

/**
 * The learners' Jupyter settings, read from their JUPYTER_CONFIG_PATH: kernels on Unix sockets (Jupyter's
 * ipc transport) in a folder only the learner can enter, not on loopback TCP ports, which every user of the
 * machine can connect to. For the classic Notebook the classroom runs, and for jupyter_server should a
 * teacher switch to JupyterLab; both start kernels with jupyter_client's KernelManager.
 */
export const LEARNER_JUPYTER_CONFIG = {KernelManager: {transport: 'ipc'}};

/** Writes LEARNER_JUPYTER_CONFIG into `configFolder` (the learners' JUPYTER_CONFIG_PATH). */
export async function installLearnerJupyterConfig(configFolder: string): Promise<void> {
	await mkdir(configFolder, {recursive: true});
	for (const app of ['jupyter_notebook_config.json', 'jupyter_server_config.json']) {
		await writeFile(path.join(configFolder, app), `${JSON.stringify(LEARNER_JUPYTER_CONFIG, null, 1)}\n`);
	}
}

/** What one learner's server and kernels may use, all together. */
export interface LearnerLimits {
	/** Memory, in MiB: a server with one kernel measured 345 MiB, a kernel that ran notebook 2 about 250 MiB. */
	readonly memoryMiB: number;
	/** Processes and threads: a kernel has 13 threads (counted in /proc). */
	readonly processes: number;
	/** The largest file a learner's code may write, in MiB (RLIMIT_FSIZE; there are no disk quotas here). */
	readonly fileMiB: number;
}

export const LEARNER_LIMITS: LearnerLimits = {memoryMiB: 1024, processes: 256, fileMiB: 256};

export interface HubSettings {
	/** Where the hub listens: 127.0.0.1 unless asked otherwise. */
	readonly ip: string;
	readonly port: number;
	/** The hub's own API, and the proxy's, on loopback ports of their own (several classrooms may run at once). */
	readonly hubPort: number;
	readonly proxyApiPort: number;
	/** The learners' names: hub accounts and, when run as root, system accounts of the same names. */
	readonly learners: readonly string[];
	/** The one password every learner types (DummyAuthenticator: for a local trial only). */
	readonly password: string;
	/** The classroom's folder: the hub's database, secrets and log, and the learners' home folders. */
	readonly folder: string;
	/** true: each learner's server runs as their own system user (needs root); false: all as this user. */
	readonly separateUsers: boolean;
	/** Where each learner's home is; `{username}` is replaced by the learner's name. */
	readonly homeTemplate: string;
	/**
	 * Where cgroup v1's memory and pids controllers are mounted (writable: as root), so that each learner's
	 * server and kernels have limits of their own; undefined where they cannot be used.
	 */
	readonly cgroupRoots: {readonly memory: string; readonly pids: string} | undefined;
	/** The limits of each learner's server and its kernels together. */
	readonly limits: LearnerLimits;
	/** The learners' JUPYTER_PATH (the project's kernelspec) and JUPYTER_CONFIG_PATH. */
	readonly jupyterPath: string;
	readonly jupyterConfigPath: string;
}

/**
 * The configuration, as Python. Every value goes in as JSON parsed by Python, so no name or path can break
 * out of its string.
 */
export function hubConfig(settings: HubSettings): string {
	const values = {
		...settings,
		project: path.resolve(PROJECT_ROOT),
		seed: SEED_LEARNER_FOLDER,
		path: process.env['PATH'] ?? '/usr/local/bin:/usr/bin:/bin',
	};
	return `# Written by npm run classroom at every start: put your own settings in ${LOCAL_CONFIG_NAME} beside it, read last.
import json, os, pwd, resource, shutil, signal, subprocess, tempfile, time
from jupyterhub.spawner import LocalProcessSpawner

settings = json.loads(${JSON.stringify(JSON.stringify(values))})
c = get_config()  # noqa: F821 (JupyterHub defines it)

c.JupyterHub.ip = settings["ip"]
c.JupyterHub.port = settings["port"]
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = settings["hubPort"]
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:%d" % settings["proxyApiPort"]
c.JupyterHub.db_url = "sqlite:///" + os.path.join(settings["folder"], "jupyterhub.sqlite")
c.JupyterHub.cookie_secret_file = os.path.join(settings["folder"], "jupyterhub_cookie_secret")
c.ConfigurableHTTPProxy.pid_file = os.path.join(settings["folder"], "jupyterhub-proxy.pid")
# The learners' servers stop with the hub: a classroom leaves nothing running behind it.
c.JupyterHub.cleanup_servers = True

# FOR A LOCAL TRIAL ONLY: one shared password for every learner. A real class needs a real authenticator
# (docs/classroom.md, "A real class", says how to plug one in).
c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = settings["password"]
c.Authenticator.allowed_users = set(settings["learners"])



def learner_cgroups(name):
    """The learner's memory and pids cgroups (none where cgroups cannot be used)."""
    roots = settings.get("cgroupRoots")  # absent (undefined in JSON) where cgroups cannot be used
    return [os.path.join(roots[kind], "pr4e-classroom", name) for kind in ("memory", "pids")] if roots else []


class LimitedSpawner(LocalProcessSpawner):
    """A learner's server as their own system user, and, with every kernel it starts, in cgroups of the
    learner's own (memory, processes) and with a largest file: one learner cannot starve the others."""

    def make_preexec_fn(self, name):
        become_learner = super().make_preexec_fn(name)
        cgroups = learner_cgroups(name)
        largest_file = settings["limits"]["fileMiB"] * 1024 * 1024

        def preexec():
            # Still root here, between fork and exec: join the cgroups, then become the learner.
            for cgroup in cgroups:
                with open(os.path.join(cgroup, "cgroup.procs"), "w") as procs:
                    procs.write(str(os.getpid()))
            resource.setrlimit(resource.RLIMIT_FSIZE, (largest_file, largest_file))
            become_learner()

        return preexec


if settings["separateUsers"]:
    # Each learner's server runs as the system user of the same name, in a home only that user can enter.
    c.JupyterHub.spawner_class = LimitedSpawner
else:
    # Not root: every server runs as this user, each in a folder of its own; the folders keep learners
    # apart, the operating system does not.
    c.JupyterHub.spawner_class = "jupyterhub.spawner.SimpleLocalProcessSpawner"
    c.SimpleLocalProcessSpawner.home_dir_template = settings["homeTemplate"]

# The classic Notebook, Debian's (jupyter-notebook); the lesson opens at its notebooks.
c.Spawner.environment = {
    "JUPYTERHUB_SINGLEUSER_APP": "notebook.notebookapp.NotebookApp",
    # The project's kernelspec (tslab, patched) and Jupyter configuration, for every learner.
    "JUPYTER_PATH": settings["jupyterPath"],
    "JUPYTER_CONFIG_PATH": settings["jupyterConfigPath"],
    "PATH": settings["path"],
}
c.Spawner.default_url = "/tree/lesson/notebooks"
# A whole class starting at once on a small machine: each server needs a few seconds of CPU.
c.Spawner.http_timeout = 120
c.Spawner.start_timeout = 300


# Each running server's runtime folder (see prepare_learner), removed when the server stops.
runtime_folders = {}


def prepare_learner(spawner):
    """Gives the learner their own copy of the lesson at first login, made as the learner, and a fresh
    runtime folder for this server."""
    name = spawner.user.name
    home = settings["homeTemplate"].replace("{username}", name)
    run_as = {}
    if settings["separateUsers"]:
        account = pwd.getpwnam(name)
        run_as = {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}
    else:
        os.makedirs(home, mode=0o700, exist_ok=True)
    subprocess.run(["sh", settings["seed"], settings["project"], os.path.join(home, "lesson")], check=True, cwd="/", **run_as)
    # The learners' kernels use Jupyter's ipc transport (their JUPYTER_CONFIG_PATH says so), whose sockets
    # lie beside each connection file, in the server's runtime folder. Jupyter's default one, in the
    # learner's home deep in the classroom's folder, is too long a path for a Unix socket (107 bytes at
    # most); a folder of mkdtemp's (mode 700) in /tmp, the learner's own, is short and as private.
    runtime = tempfile.mkdtemp(prefix="jupyter-runtime-")
    if settings["separateUsers"]:
        os.chown(runtime, account.pw_uid, account.pw_gid)
    runtime_folders[spawner] = runtime
    spawner.environment = {**spawner.environment, "JUPYTER_RUNTIME_DIR": runtime}
    make_cgroups(name)


def make_cgroups(name):
    """The learner's cgroups with their limits (LimitedSpawner puts the server in them)."""
    memory, pids = learner_cgroups(name) or (None, None)
    if memory is None:
        return
    limit = str(settings["limits"]["memoryMiB"] * 1024 * 1024)
    os.makedirs(memory, exist_ok=True)
    for knob in ("memory.limit_in_bytes", "memory.memsw.limit_in_bytes"):
        if os.path.exists(os.path.join(memory, knob)):
            with open(os.path.join(memory, knob), "w") as file:
                file.write(limit)
    os.makedirs(pids, exist_ok=True)
    with open(os.path.join(pids, "pids.max"), "w") as file:
        file.write(str(settings["limits"]["processes"]))


def remove_cgroups(name):
    """Ends whatever is left in the learner's cgroups, and removes them."""
    for cgroup in learner_cgroups(name):
        for _ in range(50):
            try:
                os.rmdir(cgroup)
                break
            except FileNotFoundError:
                break
            except OSError:
                with open(os.path.join(cgroup, "cgroup.procs")) as procs:
                    for pid in procs.read().split():
                        try:
                            os.kill(int(pid), signal.SIGKILL)
                        except ProcessLookupError:
                            pass
                time.sleep(0.1)


def remove_runtime_folder(spawner):
    """Removes the runtime folder and the cgroups prepare_learner made for the server that stopped."""
    runtime = runtime_folders.pop(spawner, None)
    if runtime:
        shutil.rmtree(runtime, ignore_errors=True)
    remove_cgroups(spawner.user.name)


c.Spawner.pre_spawn_hook = prepare_learner
c.Spawner.post_stop_hook = remove_runtime_folder

# The teacher's own settings, read last so that they win: a real authenticator, HTTPS, limits.
local_config = os.path.join(settings["folder"], "${LOCAL_CONFIG_NAME}")
if os.path.exists(local_config):
    load_subconfig(local_config)  # noqa: F821 (traitlets defines it)
`;
}
