"""Jupyter's kernel conformance suite (jupyter_kernel_test) against the project's tslab kernelspec.

Run by test/kernel/conformance.test.mts with JUPYTER_PATH pointing at the project's kernelspecs and the
working folder set to notebooks/ (where the lesson's notebooks run, so `import "tslab"` resolves).
"""
import unittest

import jupyter_kernel_test


class TslabKernelTests(jupyter_kernel_test.KernelTests):
    kernel_name = "tslab"
    language_name = "typescript"
    file_extension = ".ts"

    code_hello_world = 'console.log("hello, world")'
    code_stderr = 'console.error("oops")'
    code_generate_error = 'throw new Error("boom")'
    code_execute_result = [
        {"code": "1 + 2", "result": "3"},
        {"code": "'lesson'.toUpperCase()", "result": "'LESSON'"},
        {"code": "[1, 2].map((n) => n * 10)", "result": "[ 10, 20 ]"},
    ]
    code_display_data = [
        {"code": 'import * as tslab from "tslab"; tslab.display.html("<b>hi</b>")', "mime": "text/html"},
        {"code": 'import * as tslab from "tslab"; tslab.display.svg("<svg></svg>")', "mime": "image/svg+xml"},
    ]
    code_clear_output = 'import * as tslab from "tslab"; console.log("gone"); tslab.clearOutput()'
    code_history_pattern = "1?+*"
    supported_history_operations = ("tail", "range", "search")
    completion_samples = [{"text": "Math.flo", "matches": {"floor"}}]
    complete_code_samples = ["1 + 2", "const x = 1;"]
    incomplete_code_samples = ["function f() {", "const x = ["]
    invalid_code_samples = ["1 +* 2", "const = 5;"]
    code_inspect_sample = "Math.floor"


if __name__ == "__main__":
    unittest.main()
