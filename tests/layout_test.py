#!/usr/bin/env python3
"""The harness's layout as README draws it: each folder includes only the folders below it
(no include cycle between parts), and the node kind is named only in harness/node/ and in
the CLI's list of kinds. Usage: layout_test.py SOURCE_ROOT"""
import pathlib
import re
import sys

root = pathlib.Path(sys.argv[1])
# What each part may include besides itself; rulesets/ is the pure library under everything.
allowed = {
    "rulesets": set(),
    "system": set(),
    "node": {"system", "rulesets"},
    "modes": {"system", "node", "rulesets"},
    "traffic": {"system", "rulesets"},
    "measure": {"system", "node", "modes", "traffic", "rulesets"},
    "sweep": {"system", "node", "modes", "traffic", "measure", "rulesets"},
    "compare": {"system", "traffic"},
    "cli": {"system", "node", "modes", "traffic", "measure", "sweep", "compare", "rulesets"},
    "tools": set(),
}

def part_of(path):
    rel = path.relative_to(root)
    return rel.parts[0] if rel.parts[0] == "rulesets" else rel.parts[1]

files = [p for p in list((root / "harness").rglob("*")) + list((root / "rulesets").rglob("*"))
         if p.suffix in (".h", ".cpp")]
home = {}
for p in files:
    if p.suffix == ".h":
        if p.name in home:
            sys.exit(f"FAIL: two headers named {p.name} ({home[p.name]} and {part_of(p)})")
        home[p.name] = part_of(p)
home["svcbench_version.h"] = "system"

problems = []
for p in files:
    part = part_of(p)
    if part not in allowed:
        problems.append(f"{p.relative_to(root)}: folder '{part}' is not a part of the layout")
        continue
    for header in re.findall(r'^#include "([^"]+)"', p.read_text(), re.M):
        other = home.get(header)
        if other is None:
            problems.append(f"{p.relative_to(root)}: includes unknown \"{header}\"")
        elif other != part and other not in allowed[part]:
            problems.append(f"{p.relative_to(root)}: {part}/ includes {other}/{header}")

# The node kinds' names as strings: only where kinds are defined and where the CLI lists them.
kind_literal = re.compile(r'"(netns|uml|vm|ssh)"')
for p in files:
    if part_of(p) in ("node", "cli", "rulesets"):
        continue
    for n, line in enumerate(p.read_text().splitlines(), 1):
        if kind_literal.search(line):
            problems.append(f"{p.relative_to(root)}:{n}: names a node kind: {line.strip()}")

for problem in problems:
    print("FAIL:", problem)
print(f"layout: {len(files)} files, {len(problems)} problems")
sys.exit(1 if problems else 0)
