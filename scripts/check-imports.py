#!/usr/bin/env python3
"""Fails if the files of any workspace crate import each other in a circle.

Reads every crate's `src/` (and each binary under `src/bin/<name>/` as a tree of its own), maps each file to its module path, and draws an edge
from a file to every file of the same crate that one of its paths names: `use` trees (braces
expanded) and inline paths (`crate::a::f()`, `super::B`, `child::g()`), resolved from the inline module they
sit in (`mod tests { use super::*; }` names its own file). A `mod` declaration is not an edge; a
re-export is (`pub use a::X` in lib.rs, then `use crate::X` in a, is a circle). Prints each circle
as its files and exits 1; prints the crates and file counts and exits 0 when there is none.
    usage: scripts/check-imports.py [WORKSPACE_ROOT]
"""

import re
import sys
from pathlib import Path

ROOT = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent)


def strip(text):
    """Source without comments, string and char literals (their contents name nothing)."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            depth, i = 1, i + 2
            while i < n and depth:
                if text.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif text.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    i += 1
        elif c == "r" and re.match(r'r#*"', text[i:i + 10]) and not (i and (text[i - 1].isalnum() or text[i - 1] == "_")):
            hashes = re.match(r'r(#*)"', text[i:]).group(1)
            end = text.find('"' + hashes, i + len(hashes) + 2)
            out.append('""')
            i = n if end < 0 else end + 1 + len(hashes)
        elif c == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
            out.append('""')
            i += 1
        elif c == "'" and re.match(r"'(\\.|[^\\'])'", text[i:i + 4]) or text.startswith("'\\u{", i):
            i = text.find("'", i + 2) + 1
            out.append("' '")
        else:
            out.append(c)
            i += 1
    return "".join(out)


def expand(tree):
    """`a::{b, c::{d, e}}` -> [[a, b], [a, c, d], [a, c, e]]; `as` renames and `*` dropped."""
    tree = re.sub(r"\s+", "", re.sub(r"\s+as\s+\w+", "", tree))
    if "{" not in tree:
        segs = [s for s in tree.split("::") if s and s != "*"]
        return [segs] if segs else []
    start = tree.index("{")
    prefix = [s for s in tree[:start].split("::") if s]
    inner, depth, parts, cur = tree[start + 1:tree.rindex("}")], 0, [], ""
    for ch in inner:
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
            continue
        depth += ch == "{"
        depth -= ch == "}"
        cur += ch
    parts.append(cur)
    paths = []
    for p in parts:
        if not p:
            continue
        if p == "self":
            paths.append(prefix)
            continue
        for sub in expand(p):
            paths.append(prefix + sub)
    return paths or [prefix]


def crate_files(src):
    """{module path tuple: file} for every file of the crate's module tree."""
    files = {}
    for f in src.rglob("*.rs"):
        rel = f.relative_to(src)
        if rel.parts[0] == "bin" and src.name == "src":
            continue
        parts = list(rel.with_suffix("").parts)
        if parts[-1] == "mod" or (len(parts) == 1 and parts[0] in ("lib", "main")):
            parts = parts[:-1]
        files[tuple(parts)] = f
    return files


def file_paths(text, module):
    """(inline module path, use path) for each path the file names, in its own module scope."""
    text = strip(text)
    found = []
    stack = []  # (module path, brace depth at which it closes)
    depth = 0
    tokens = re.finditer(r"\bmod\s+(\w+)\s*\{|\buse\s+([^;]+);|(?<![\w$:])(\w+(?:::\w+)+)|[{}]", text)
    for m in tokens:
        cur = stack[-1][0] if stack else module
        if m.group(1):
            depth += 1
            stack.append((cur + (m.group(1),), depth))
        elif m.group(2):
            for p in expand(m.group(2)):
                found.append((cur, p))
        elif m.group(3):
            found.append((cur, m.group(3).split("::")))
        elif m.group(0) == "{":
            depth += 1
        else:
            if stack and stack[-1][1] == depth:
                stack.pop()
            depth -= 1
    return found


def resolve(cur, path, files):
    """The file a path names, or None (another crate, or std)."""
    if not path:
        return None
    head, rest = path[0], path[1:]
    if head == "crate":
        base = ()
    elif head in ("super", "self"):
        base = cur
        while path and path[0] in ("super", "self"):
            if path[0] == "super":
                base = base[:-1]
            path = path[1:]
        rest = path
    elif cur + (head,) in files:
        base, rest = cur, path
    else:
        return None
    segs = base + tuple(rest)
    for k in range(len(segs), -1, -1):
        if segs[:k] in files:
            return files[segs[:k]]
    return None


def circles(edges, nodes):
    """Strongly connected components with more than one file (Tarjan)."""
    index, low, on, stack, out, counter = {}, {}, set(), [], [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in nodes:
        if v not in index:
            visit(v)
    return out


def trees():
    """(name, source root) of every library, and of every binary that is a folder of modules."""
    for manifest in sorted(ROOT.glob("*/Cargo.toml")):
        src = manifest.parent / "src"
        if src.is_dir():
            yield manifest.parent.name, src
            for bin_dir in sorted(p for p in (src / "bin").glob("*") if p.is_dir()):
                yield f"{manifest.parent.name}/bin/{bin_dir.name}", bin_dir


def main():
    failed, summary = False, []
    for name, src in trees():
        files = crate_files(src)
        by_file = {f: m for m, f in files.items()}
        edges = {}
        for f, module in by_file.items():
            for cur, path in file_paths(f.read_text(), module):
                target = resolve(cur, path, files)
                if target is not None and target != f:
                    edges.setdefault(f, set()).add(target)
        found = circles(edges, list(by_file))
        summary.append(f"{name} ({len(files)} files)")
        for comp in found:
            failed = True
            names = [str(c.relative_to(ROOT)) for c in comp]
            print(f"import circle in {name}: " + " <-> ".join(names))
            for a in comp:
                for b in sorted(edges.get(a, ())):
                    if b in comp:
                        print(f"    {a.relative_to(ROOT)} -> {b.relative_to(ROOT)}")
    if failed:
        sys.exit(1)
    print("no import circle in: " + ", ".join(summary))


if __name__ == "__main__":
    main()
