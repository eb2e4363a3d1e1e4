#!/usr/bin/env python3
"""Fails when an #include goes against the stage order of ARCHITECTURE.md.

The order is read from the table under "## Stage order" in ARCHITECTURE.md:
each row whose first cell names a folder `src/NAME/` is one stage, lowest
first. A file in stage N (src/NAME/..., include/slimbuild/NAME/..., and
src/main.cpp, which belongs to the CLI) may include its own stage's headers
and those of stages above its row, never one listed after it. A folder
under src/ or include/slimbuild/ that the table does not name is an error
too, so a new stage cannot land without its row.

Headers follow ARCHITECTURE.md's "Other folders" rule: include/slimbuild/
holds only what another stage uses, internals sit beside their .cpp. So
also an error: a quoted "NAME/x.hpp" (an internal header) included from
another stage or from a public header; and a public header that no other
stage includes, directly or through a public header of its own stage that
another stage includes (move it to src/NAME/).

Usage: check_layering.py SOURCE_DIR   (ctest runs it; exit 1 on a violation)
"""
import pathlib
import re
import sys

ROW = re.compile(r"^\|\s*`src/([a-z0-9_]+)/`")
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])(slimbuild/)?(([a-z0-9_]+)/[^>"]+)[>"]')


def stage_order(architecture):
    order, in_section = [], False
    for line in architecture.read_text().splitlines():
        if line.startswith("## "):
            in_section = line.strip() == "## Stage order"
            continue
        m = ROW.match(line) if in_section else None
        if m and m.group(1) not in order:
            order.append(m.group(1))
    return order


def stage_of(root, path):
    rel = path.relative_to(root).parts
    if rel == ("src", "main.cpp"):
        return "cli"
    if rel[0] == "src" and len(rel) > 2:
        return rel[1]
    if rel[:2] == ("include", "slimbuild") and len(rel) > 3:
        return rel[2]
    return None


def main():
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()
    order = stage_order(root / "ARCHITECTURE.md")
    if not order:
        print("check_layering: no `src/NAME/` rows under '## Stage order' in ARCHITECTURE.md")
        return 1
    rank = {name: i for i, name in enumerate(order)}
    folders = {d.name for base in (root / "src", root / "include" / "slimbuild") if base.is_dir()
               for d in base.iterdir() if d.is_dir()}
    problems = [f"src/{f}/ (or include/slimbuild/{f}/) is not a row of ARCHITECTURE.md's stage order: "
                f"add one where the stage belongs" for f in sorted(folders - rank.keys())]
    files = sorted(p for base in ("src", "include") for p in (root / base).rglob("*")
                   if p.suffix in (".cpp", ".hpp", ".h", ".cc"))
    public_users = {}  # "NAME/x.hpp" -> the paths that include <slimbuild/NAME/x.hpp>
    for path in files:
        stage = stage_of(root, path)
        if stage not in rank:
            continue
        rel = path.relative_to(root)
        is_public = rel.parts[0] == "include"
        for lineno, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            m = INCLUDE.match(line)
            if not m or m.group(4) not in folders:
                continue  # a system or third-party header (<nlohmann/json.hpp>, <CLI/CLI.hpp>)
            target, header = m.group(4), m.group(3)
            if m.group(2):
                public_users.setdefault(header, set()).add(rel)
            elif m.group(1) == '"' and (is_public or (target != stage and rel != pathlib.Path("src/main.cpp"))):
                where = "a public header" if is_public else f"stage {stage}"
                problems.append(f"{rel}:{lineno}: {where} includes \"{header}\", an internal header of {target}: "
                                f"move it to include/slimbuild/{header} if another stage needs it")
            if target in rank and rank[target] > rank[stage]:
                problems.append(f"{rel}:{lineno}: {stage} (stage {rank[stage] + 1}) includes "
                                f"{target} (stage {rank[target] + 1}), which comes after it in ARCHITECTURE.md: "
                                f"move the shared part down to {stage} or below, or pass it in as data")
    # Public headers another stage reaches, directly or through its own stage's reached public headers.
    reached, changed = set(), True
    while changed:
        changed = False
        for header, users in public_users.items():
            if header in reached:
                continue
            owner = header.split("/")[0]
            for user in users:
                ustage = stage_of(root, root / user)
                upublic = user.parts[0] == "include"
                if ustage != owner or (upublic and str(pathlib.PurePosixPath(*user.parts[2:])) in reached):
                    reached.add(header)
                    changed = True
                    break
    for path in files:
        rel = path.relative_to(root)
        if rel.parts[:2] != ("include", "slimbuild") or stage_of(root, path) not in rank:
            continue
        header = str(pathlib.PurePosixPath(*rel.parts[2:]))
        if header not in reached:
            problems.append(f"{rel}: no other stage includes this public header: move it to src/{header} "
                            f"and include it as \"{header}\"")
    print("stage order (ARCHITECTURE.md): " + " < ".join(order))
    for p in problems:
        print("layering: " + p)
    print(f"checked {len(files)} files: " + (f"{len(problems)} problem(s)" if problems else "ok"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
