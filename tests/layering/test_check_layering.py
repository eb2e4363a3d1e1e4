#!/usr/bin/env python3
"""check_layering.py on small made-up trees: a clean tree passes, and each
kind of violation it exists to catch fails with its own message (an upward
include, a folder without a row, another stage's internal header, an
internal header in a public one, a public header no other stage uses).

Usage: test_check_layering.py PATH/TO/check_layering.py   (ctest runs it)
"""
import pathlib
import shutil
import subprocess
import sys
import tempfile

ARCH = """# arch
## Stage order
| folder | job |
|---|---|
| `src/low/` | below |
| `src/high/` | above |
## Other folders
"""


ROOTS = []


def tree(files):
    root = pathlib.Path(tempfile.mkdtemp(prefix="layering-"))
    ROOTS.append(root)
    (root / "ARCHITECTURE.md").write_text(ARCH)
    base = {
        "include/slimbuild/low/api.hpp": "#pragma once\n",
        "src/low/api.cpp": '#include <slimbuild/low/api.hpp>\n#include "low/detail.hpp"\n',
        "src/low/detail.hpp": "#pragma once\n",
        "src/high/use.cpp": "#include <slimbuild/low/api.hpp>\n#include <vector>\n",
    }
    base.update(files)
    for rel, text in base.items():
        if text is None:
            continue
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return root


def run(checker, root):
    r = subprocess.run([sys.executable, checker, str(root)], capture_output=True, text=True)
    return r.returncode, r.stdout


def main():
    checker = sys.argv[1]
    failures = []
    code, out = run(checker, tree({}))
    if code != 0 or "ok" not in out:
        failures.append(f"a clean tree failed:\n{out}")
    cases = {
        "an upward include": ({"src/low/bad.cpp": "#include <slimbuild/high/x.hpp>\n",
                               "include/slimbuild/high/x.hpp": "#pragma once\n"}, "which comes after it"),
        "a folder with no row": ({"src/stray/a.cpp": "int a;\n"}, "is not a row"),
        "another stage's internal header": ({"src/high/peek.cpp": '#include "low/detail.hpp"\n'},
                                            'includes "low/detail.hpp", an internal header of low'),
        "an internal header in a public one": ({"include/slimbuild/low/api.hpp": '#include "low/detail.hpp"\n'},
                                               "a public header includes"),
        "a public header only its own stage uses": ({"include/slimbuild/low/lonely.hpp": "#pragma once\n",
                                                     "src/low/lonely.cpp": "#include <slimbuild/low/lonely.hpp>\n"},
                                                    "include/slimbuild/low/lonely.hpp: no other stage includes"),
    }
    for name, (files, expected) in cases.items():
        code, out = run(checker, tree(files))
        if code != 1 or expected not in out:
            failures.append(f"{name}: expected exit 1 and '{expected}', got exit {code}:\n{out}")
    # Reached through a public header of its own stage that another stage includes: fine.
    code, out = run(checker, tree({"include/slimbuild/low/api.hpp": "#include <slimbuild/low/types.hpp>\n",
                                   "include/slimbuild/low/types.hpp": "#pragma once\n"}))
    if code != 0:
        failures.append(f"a public header reached through api.hpp was reported:\n{out}")
    for root in ROOTS:
        shutil.rmtree(root, ignore_errors=True)
    for f in failures:
        print("FAIL: " + f)
    print(f"{len(cases) + 2} cases, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
