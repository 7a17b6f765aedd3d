/** Thrown when a kernel cannot be started or stops answering. */
export class KernelError extends Error {}
