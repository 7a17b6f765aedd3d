"""One measurement for `npm run bench`: start a kernel through jupyter_client, as Jupyter does, run a first
cell (CODE, `1 + 2` by default, which must come back as an execute_result), and print the wall time in ms as JSON.

usage: /usr/bin/python3 kernel-start.py KERNEL_NAME [CODE]
"""
import json
import queue
import sys
import time

from jupyter_client.manager import start_new_kernel


def wait_for_iopub(client) -> None:
    """Until a kernel_info's idle status arrives on iopub: start_new_kernel waits for the shell reply only, and a
    kernel that answers that fast (Deno's) can publish its first cell's result before iopub is connected, lost."""
    for _ in range(100):
        msg_id = client.kernel_info()
        deadline = time.perf_counter() + 0.5
        while time.perf_counter() < deadline:
            try:
                msg = client.get_iopub_msg(timeout=0.05)
            except queue.Empty:
                continue
            content = msg["content"]
            if msg["parent_header"].get("msg_id") == msg_id and content.get("execution_state") == "idle":
                return
    raise SystemExit("iopub never showed a kernel_info's idle status")


def main() -> None:
    name = sys.argv[1]
    code = sys.argv[2] if len(sys.argv) > 2 else "1 + 2"
    started = time.perf_counter()
    manager, client = start_new_kernel(kernel_name=name)
    try:
        wait_for_iopub(client)
        results = []
        reply = client.execute_interactive(
            code,
            timeout=60,
            output_hook=lambda msg: results.append(msg) if msg["msg_type"] == "execute_result" else None,
        )
        # Deno's kernel now and then publishes the result just after its idle status: the cell is done when it is there.
        deadline = time.perf_counter() + 5
        while not results and time.perf_counter() < deadline:
            try:
                msg = client.get_iopub_msg(timeout=0.05)
            except queue.Empty:
                continue
            if msg["msg_type"] == "execute_result" and msg["parent_header"].get("msg_id") == reply["parent_header"].get("msg_id"):
                results.append(msg)
        elapsed_ms = (time.perf_counter() - started) * 1000
        if reply["content"]["status"] != "ok" or not results:
            raise SystemExit(f"{name}: the first cell did not give an execute_result: {reply['content']}")
        print(json.dumps({"ms": elapsed_ms, "value": results[0]["content"]["data"]["text/plain"]}))
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


if __name__ == "__main__":
    main()
