// Preloaded into a kernel the runner starts (NODE_OPTIONS=--require): ties the kernel's life to the
// runner's. File descriptor 3 is a pipe from the runner; when it closes because the runner exited, even
// by SIGKILL, the kernel kills its whole process group, so nothing a cell started is left behind.
'use strict';
const net = require('node:net');

if (process.env.LESSON_RUNNER_LIFELINE === '3') {
	// Only the kernel itself: processes that cell code starts must not inherit the guard.
	delete process.env.LESSON_RUNNER_LIFELINE;
	process.env.NODE_OPTIONS = (process.env.NODE_OPTIONS || '').replace(`--require ${JSON.stringify(__filename)}`, '').trim();
	try {
		const lifeline = new net.Socket({fd: 3, readable: true, writable: false});
		const killGroup = () => {
			try {
				process.kill(-process.pid, 'SIGKILL');
			} catch {
				process.exit(1);
			}
		};
		lifeline.on('end', killGroup);
		lifeline.on('close', killGroup);
		lifeline.on('error', killGroup);
		lifeline.resume();
		lifeline.unref();
	} catch {
		// No pipe on fd 3 (started by hand): nothing to watch.
	}
}
