#!/usr/bin/python3
"""Holds the tree to its layers: the include graph between folders has no cycle,
and no file includes a header of a folder in a layer above its own.

Usage: check_layers.py [SOURCE_ROOT]   (default: the folder above this script)
       check_layers.py --self-test     (runs the checker on small fixtures)

Prints each violation as `file:line: what` and exits 1 if there is any.
Includes are project-rooted ("daemon/storage/store.h"); system headers (<...>)
are not ours and are not looked at.
"""

import os
import re
import subprocess
import sys
import tempfile

# The layers, lowest first (docs/architecture.md). A file may include headers of
# its own folder and of the folders in lower layers; two folders in one layer are
# siblings and must not include each other. An entry ending in "/..." is a tree:
# the folder and everything below it form one unit whose folders may include each
# other (still without a cycle). Every folder holding C++ sources must be placed
# here: a new folder is an error until someone decides where it sits.
LAYERS = [
    # The base: status, clock, utf8, csv, iso_time, hash, command line. Needs nothing of ours.
    ["core"],
    # The SQLite wrapper; everything that stores sits above it.
    ["sql"],
    # The scan model, identifiers, batch file, manifest rows: pure, no I/O.
    ["scanner"],
    # Pure rules: the reconciliation engine and ledger; the problem-parcel rules.
    ["reconcile", "problems"],
    # Every message on every socket: dock, upload/sync/post/lookup, control, station to station.
    ["wire"],
    # Keys, CURVE and ZAP, the key store.
    ["security"],
    # station.db: schema and migrations, store, outbox, waybill index, backup, retention.
    ["daemon/storage"],
    # Read-only views of station.db for the clerk and the metrics.
    ["daemon/views"],
    # The daemon's worker threads: the national link, the problem desk, the reconciler.
    ["daemon/uplink", "daemon/desk", "daemon/reconciler"],
    # Operations: metrics, service notification, disk space, logging.
    ["daemon/ops"],
    # The clerk's control socket: one handler per command.
    ["daemon/clerk"],
    # The dock server the scanner docks commit batches to.
    ["daemon/ingest"],
    # The top of the daemon: the Station object, config, stationd's command line.
    ["daemon"],
    # The dock agent and scanner-dock (a program of its own beside stationd).
    ["dock"],
    # Programs around the product: stationctl, national-sim, gun-sim, benchmarks.
    ["tools/..."],
    # Unit, integration, fault and power-loss tests and their support.
    ["tests/..."],
    # The libFuzzer harnesses.
    ["fuzz/..."],
]

SOURCE_SUFFIXES = (".h", ".cc", ".cpp", ".hpp")
INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"')


def source_files(root):
    """The C++ sources below root, as sorted paths relative to it.

    In a git checkout: the tracked files and the untracked ones git does not
    ignore (so build folders stay out); elsewhere every file, minus hidden
    folders and CMake build folders.
    """
    try:
        out = subprocess.run(
            ["git", "-C", root, "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
            capture_output=True, check=True).stdout.decode()
        names = [n for n in out.split("\0") if n and os.path.isfile(os.path.join(root, n))]
    except (OSError, subprocess.CalledProcessError):
        names = []
        for folder, dirs, files in os.walk(root):
            dirs[:] = sorted(d for d in dirs if not d.startswith(".")
                             and not os.path.exists(os.path.join(folder, d, "CMakeCache.txt")))
            rel = os.path.relpath(folder, root)
            names += [os.path.normpath(os.path.join(rel, f)) for f in files]
    return sorted(n for n in names if n.endswith(SOURCE_SUFFIXES))


def place(folder):
    """(layer index, table entry) of a folder, or None if the table has no place for it."""
    for index, entries in enumerate(LAYERS):
        for entry in entries:
            if entry.endswith("/..."):
                tree = entry[:-4]
                if folder == tree or folder.startswith(tree + "/"):
                    return index, entry
            elif folder == entry:
                return index, entry
    return None


def find_cycles(edges):
    """The strongly connected components of more than one folder (Tarjan)."""
    index_of, low, on_stack, stack, components = {}, {}, set(), [], []
    nodes = sorted(set(edges) | {b for targets in edges.values() for b in targets})

    def visit(node):
        index_of[node] = low[node] = len(index_of)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(edges.get(node, ())):
            if target not in index_of:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index_of[target])
        if low[node] == index_of[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in nodes:
        if node not in index_of:
            visit(node)
    return components


def check(root):
    """The violations in the tree at root, as `file:line: what` strings."""
    violations = []
    unplaced = {}
    # folder -> {included folder: first "file:line" that includes it}
    edges = {}
    for name in source_files(root):
        folder = os.path.dirname(name)
        here = place(folder)
        if here is None:
            unplaced.setdefault(folder, name)
            continue
        with open(os.path.join(root, name), encoding="utf-8", errors="replace") as f:
            for number, line in enumerate(f, 1):
                match = INCLUDE.match(line)
                if not match:
                    continue
                header = os.path.normpath(match.group(1))
                if not os.path.isfile(os.path.join(root, header)):
                    continue  # not one of ours (or generated): nothing to place
                target = os.path.dirname(header)
                if target == folder:
                    continue
                where = f"{name}:{number}"
                edges.setdefault(folder, {}).setdefault(target, where)
                there = place(target)
                if there is None:
                    continue  # reported once, as an unplaced folder
                if there[0] > here[0]:
                    violations.append(f"{where}: includes {header}: {target}/ sits in a layer above "
                                      f"{folder}/ ({there[1]} over {here[1]})")
                elif there[0] == here[0] and there[1] != here[1]:
                    violations.append(f"{where}: includes {header}: {target}/ and {folder}/ are "
                                      f"siblings in one layer and must not include each other")
    for folder, name in sorted(unplaced.items()):
        violations.append(f"{name}:1: folder {folder or '.'}/ has no place in the layer table "
                          f"of tools/check_layers.py")
    for component in find_cycles(edges):
        members = set(component)
        links = [f"{a} -> {b} ({where})" for a in component
                 for b, where in sorted(edges.get(a, {}).items()) if b in members]
        first = edges[component[0]]
        where = next(w for b, w in sorted(first.items()) if b in members)
        violations.append(f"{where}: include cycle between folders {', '.join(component)}: "
                          + "; ".join(links))
    return violations


def self_test():
    """Runs check() on small trees with a known answer; returns the failures."""
    fixtures = {
        "clean": ({
            "core/a.h": "",
            "core/a.cc": '#include "core/a.h"\n#include <vector>\n',
            "sql/s.h": '#include "core/a.h"\n',
            "reconcile/r.h": '#include "sql/s.h"\n#include "not/ours.h"\n',
            "tools/bench/b.cc": '#include "tools/sim/g.h"\n#include "reconcile/r.h"\n',
            "tools/sim/g.h": '#include "core/a.h"\n',
            "tests/unit/t.cc": '#include "tools/sim/g.h"\n',
            "docs/notes.md": "not a source file\n",
        }, []),
        "upward": ({
            "core/a.h": '// x\n#include "sql/s.h"\n',
            "sql/s.h": "",
        }, ["core/a.h:2: includes sql/s.h: sql/ sits in a layer above core/"]),
        "parent": ({
            "daemon/station.h": "",
            "daemon/uplink/u.cc": '#include "daemon/station.h"\n',
        }, ["daemon/uplink/u.cc:1: includes daemon/station.h: daemon/ sits in a layer above"]),
        "siblings": ({
            "reconcile/r.h": "",
            "problems/p.cc": '#include "reconcile/r.h"\n',
        }, ["problems/p.cc:1: includes reconcile/r.h: reconcile/ and problems/ are siblings"]),
        "unplaced": ({
            "daemon/newjob/n.cc": '#include "core/a.h"\n',
            "core/a.h": "",
        }, ["daemon/newjob/n.cc:1: folder daemon/newjob/ has no place"]),
        "cycle": ({
            "tools/x/x.h": '#include "tools/y/y.h"\n',
            "tools/y/y.h": '\n#include "tools/x/x.h"\n',
        }, ["tools/x/x.h:1: include cycle between folders tools/x, tools/y"]),
    }
    failures = []
    for name, (files, expected) in fixtures.items():
        with tempfile.TemporaryDirectory() as root:
            for path, text in files.items():
                os.makedirs(os.path.join(root, os.path.dirname(path)), exist_ok=True)
                with open(os.path.join(root, path), "w", encoding="utf-8") as f:
                    f.write(text)
            got = check(root)
        unmatched = [e for e in expected if not any(g.startswith(e) for g in got)]
        if unmatched or len(got) != len(expected):
            failures.append(f"fixture {name}: expected {expected}, got {got}")
    return failures


def run_checker(argv, name, usage, check_tree, self_test_failures):
    """A checker's command line, shared by the architecture checkers:
    `--self-test` runs self_test_failures(), otherwise check_tree(root) runs
    on the source root given (default: the folder above tools/). Prints each
    violation; returns the exit code (0 clean, 1 violations, 2 usage)."""
    if argv[1:] == ["--self-test"]:
        failures = self_test_failures()
        for failure in failures:
            print(failure)
        print(f"{name} self-test: " + ("FAILED" if failures else "ok"))
        return 1 if failures else 0
    if len(argv) > 2 or (len(argv) == 2 and argv[1].startswith("-")):
        print(usage.strip(), file=sys.stderr)
        return 2
    root = argv[1] if len(argv) == 2 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    violations = check_tree(os.path.abspath(root))
    for violation in violations:
        print(violation)
    print(f"{name}: {len(violations)} violation(s)" if violations else f"{name}: ok")
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(run_checker(sys.argv, "check_layers", __doc__, check, self_test))
