/**
 * Interrupts, the way Jupyter's stop button works on a Node kernel: it sends the kernel SIGINT, and tslab
 * then fails the running cell at once. An awaited recv is not stopped by that: the cell's async code goes
 * on in the background, and a recv loop would keep reading. Python raises KeyboardInterrupt inside the
 * blocking call instead. So the library listens for SIGINT too and, like Python, makes the interrupted
 * cell's pending calls reject, and refuses its later ones; calls of other cells go on as before.
 *
 * "A cell" is an async context: the library's first call in a chain of calls marks the context with a
 * scope (AsyncLocalStorage), which every later call of that cell's code inherits through its awaits.
 * tslab runs each cell in a context of its own, so a new cell starts with no scope and gets a fresh one.
 *
 * All this happens only where something else already handles SIGINT (a kernel such as tslab). In a plain
 * script Ctrl-C must go on ending the process, which a SIGINT listener would prevent, and there is nothing
 * to keep running after an interrupt; there the library does not track calls at all, and so does not pay
 * for AsyncLocalStorage (on Node 20 it hooks every promise: 15 to 20% of a tight recv loop here).
 */
import {AsyncLocalStorage, executionAsyncId} from 'node:async_hooks';
import {InterruptedError, type PartialTransfer} from '../errors';

type Operation = InterruptedError['operation'];

interface CellScope {
	interrupted: boolean;
	/** Cancels of this scope's calls that are waiting right now. */
	readonly pending: Set<() => void>;
}

const scopes = new AsyncLocalStorage<CellScope>();
/** Scopes with calls waiting, and the scope of the latest call (a cell that sleeps between calls). */
const busyScopes = new Set<CellScope>();
let latestScope: CellScope | undefined;
const rootScope: CellScope = {interrupted: false, pending: new Set()};
let listening = false;

/**
 * Interrupts what is running: the pending calls of every scope with calls waiting reject with
 * `InterruptedError`, and those scopes, with the scope of the latest call, refuse later calls.
 * SIGINT does this inside a kernel; a kernel can also call it for Jupyter's `interrupt_request`.
 */
export function interruptCalls(): void {
	const interrupted = new Set(busyScopes);
	if (latestScope) interrupted.add(latestScope);
	for (const scope of interrupted) {
		scope.interrupted = true;
		for (const cancel of [...scope.pending]) cancel();
	}
	busyScopes.clear();
	latestScope = undefined;
}

/** A call that has started: `settle` must be called once it is done, whichever way. */
export interface InterruptibleCall {
	/** Stops watching for interrupts; call it when the call resolves or rejects. */
	settle(): void;
}

/**
 * Starts watching a call: throws `InterruptedError` if the calling cell was interrupted before, else calls
 * `cancel` with the error to reject with if an interrupt comes while it waits. `partial`, for a call of
 * `retrieve`'s, gives the bytes received so far, which the error carries.
 */
export function beginCall(operation: Operation, address: string, cancel: (error: InterruptedError) => void, partial?: () => PartialTransfer): InterruptibleCall {
	if (!listenForSigint()) return UNTRACKED;
	const scope = currentScope();
	if (scope.interrupted) throw new InterruptedError(operation, address, 'later', {partial: partial?.()});
	const onInterrupt = (): void => {
		scope.pending.delete(onInterrupt);
		cancel(new InterruptedError(operation, address, 'pending', {partial: partial?.()}));
	};
	scope.pending.add(onInterrupt);
	busyScopes.add(scope);
	return {
		settle() {
			scope.pending.delete(onInterrupt);
			if (scope.pending.size === 0) busyScopes.delete(scope);
		},
	};
}

/** A call made where nothing can interrupt it (see the top of this file). */
const UNTRACKED: InterruptibleCall = {settle() {}};

function currentScope(): CellScope {
	// Code that started before promise tracking was switched on (the cell that loaded the library, say)
	// runs in the root context, id 0, for good: entering a scope there would hand it to every later cell.
	// Such code shares one scope; cells that start later each run in a context of their own.
	if (executionAsyncId() === 0) {
		latestScope = rootScope;
		return rootScope;
	}
	let scope = scopes.getStore();
	if (!scope) {
		scope = {interrupted: false, pending: new Set()};
		// enterWith, not run: the scope must reach the caller's own code after this call returns, so that
		// its later calls are known as the same cell's.
		scopes.enterWith(scope);
	}
	latestScope = scope;
	return scope;
}

/** Starts listening for SIGINT where something else already handles it; says whether calls are tracked. */
function listenForSigint(): boolean {
	if (listening) return true;
	if (process.listenerCount('SIGINT') === 0) return false;
	listening = true;
	process.on('SIGINT', interruptCalls);
	// Switches promise tracking on now (run() would not: it skips a store equal to the current one), so
	// that the cells after this one each run in a context of their own.
	scopes.enterWith(undefined as unknown as CellScope);
	return true;
}

// Loaded in a kernel: track from the cell that imports the library on, not from its first call.
listenForSigint();
