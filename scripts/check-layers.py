#!/usr/bin/env python3
"""Reports import cycles between the top-level modules of a Rust crate.

Usage: scripts/check-layers.py CRATE_SRC_DIR [CRATE_SRC_DIR ...]
       e.g. scripts/check-layers.py crates/icloud-auth/src

A top-level module is a file `src/NAME.rs` or directory `src/NAME/`; files below `src/NAME/`
belong to NAME. Module A depends on module B when code in A names B by a path:

- `crate::B…` (in `use` declarations and in expressions, including `use crate::{B::x, …}`);
- `super::…` and `super::super::…`, resolved against the file's module path (and the inline
  `mod name { … }` blocks around the reference, such as `mod tests`);
- a name re-exported at the crate root (`crate::Name` where `lib.rs` says `pub use B::Name`)
  counts as a dependency on B, the module that defines it.

Comments (doc comments included) and string literals are skipped, and test modules count like
any other code: a test that reaches into a higher layer is still a loop a reader must untangle.

For each crate the script prints the layers (modules whose dependencies all sit in lower
layers; layer 0 depends on no other module), then every group of modules that import each
other in a loop (a strongly connected component), with one path through the loop and the line
behind each of its edges. It exits with status 1 when any crate has a loop, 0 otherwise.
"""

import os
import re
import sys

IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def strip(src):
    """Returns `src` with comments and string/char literals blanked, newlines kept."""
    out = []
    i, n = 0, len(src)

    def blank(text):
        return "".join("\n" if c == "\n" else " " for c in text)

    while i < n:
        c = src[i]
        if src.startswith("//", i):
            j = src.find("\n", i)
            j = n if j < 0 else j
            out.append(blank(src[i:j]))
            i = j
        elif src.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if src.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif src.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            out.append(blank(src[i:j]))
            i = j
        elif (m := re.match(r'b?r(#*)"', src[i:])) and not (i and (src[i - 1].isalnum() or src[i - 1] == "_")):
            end = '"' + m.group(1)
            j = src.find(end, i + m.end())
            j = n if j < 0 else j + len(end)
            out.append(blank(src[i:j]))
            i = j
        elif c == '"':
            j = i + 1
            while j < n and src[j] != '"':
                j += 2 if src[j] == "\\" else 1
            j = min(j + 1, n)
            out.append(blank(src[i:j]))
            i = j
        elif c == "'":
            # A char literal ('x', '\n', '\u{1F600}') or a lifetime ('a, 'static).
            if i + 1 < n and src[i + 1] == "\\":
                j = src.find("'", i + 2)
                j = n if j < 0 else j + 1
            elif i + 2 < n and src[i + 2] == "'":
                j = i + 3
            else:
                out.append(c)
                i += 1
                continue
            out.append(blank(src[i:j]))
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def file_module_path(src_dir, path):
    """Returns the module path of a file: `[]` for lib.rs, `["a", "b"]` for a/b.rs."""
    rel = os.path.relpath(path, src_dir)
    parts = rel[: -len(".rs")].split(os.sep)
    if parts[-1] == "mod":
        parts = parts[:-1]
    if parts in (["lib"], ["main"]):
        return []
    return parts


def brace_group(text, start):
    """Returns the top-level comma-separated items of the `{…}` group opening at `start`."""
    depth, items, cur = 0, [], []
    for k in range(start, len(text)):
        ch = text[k]
        if ch == "{":
            depth += 1
            if depth == 1:
                continue
        elif ch == "}":
            depth -= 1
            if depth == 0:
                items.append("".join(cur))
                return items
        elif ch == "," and depth == 1:
            items.append("".join(cur))
            cur = []
            continue
        cur.append(ch)
    return items


def first_segments(text, pos):
    """Returns the first path segments that follow `pos` (after a `::`): one name, or the
    first name of each item of a `{…}` group."""
    rest = text[pos:].lstrip()
    if rest.startswith("{"):
        start = text.index("{", pos)
        names = []
        for item in brace_group(text, start):
            m = IDENT.match(item.strip())
            if m:
                names.append(m.group(0))
        return names
    m = IDENT.match(rest)
    return [m.group(0)] if m else []


def root_reexports(lib_text, modules):
    """Maps names re-exported at the crate root (`pub use m::{A, B}`) to their module."""
    names = {}
    for m in re.finditer(r"\bpub\s+use\s+(?:crate::|self::)?([A-Za-z_]\w*)\s*::", lib_text):
        module = m.group(1)
        if module not in modules:
            continue
        rest = lib_text[m.end():]
        if rest.lstrip().startswith("{"):
            start = m.end() + rest.index("{")
            items = brace_group(lib_text, start)
        else:
            items = [rest[: rest.find(";")]]
        for item in items:
            item = item.strip()
            alias = re.search(r"\bas\s+(\w+)\s*$", item)
            last = alias.group(1) if alias else re.split(r"::", item.split("{")[0])[-1].strip()
            if IDENT.fullmatch(last or ""):
                names[last] = module
    return names


def inline_modules(text):
    """Returns (offset, depth_change, name) events for inline `mod name {` blocks."""
    spans = []
    stack = []  # (name, brace depth at which the block opened)
    depth = 0
    opening = None
    for m in re.finditer(r"\bmod\s+([A-Za-z_]\w*)\s*\{|[{}]", text):
        tok = m.group(0)
        if tok.startswith("mod"):
            depth += 1
            stack.append((m.group(1), depth, m.start()))
        elif tok == "{":
            depth += 1
        else:
            if stack and stack[-1][1] == depth:
                name, _, start = stack.pop()
                spans.append((start, m.end(), name, len(stack)))
            depth -= 1
    del opening
    return spans


def module_at(spans, offset):
    """Returns the inline module names enclosing `offset`, outermost first."""
    inside = [(s, name) for (s, e, name, _) in spans if s <= offset < e]
    return [name for _, name in sorted(inside)]


def analyse(src_dir):
    """Returns (modules, edges) where edges maps (a, b) to the first place a names b."""
    files = []
    for root, _, names in os.walk(src_dir):
        for name in names:
            if name.endswith(".rs"):
                files.append(os.path.join(root, name))
    files.sort()
    modules = set()
    for f in files:
        path = file_module_path(src_dir, f)
        if path:
            modules.add(path[0])
    lib = os.path.join(src_dir, "lib.rs")
    reexports = {}
    if os.path.exists(lib):
        with open(lib, encoding="utf-8") as fh:
            reexports = root_reexports(strip(fh.read()), modules)

    def top(name):
        if name in modules:
            return name
        return reexports.get(name)

    edges = {}
    for f in files:
        path = file_module_path(src_dir, f)
        if not path:
            continue  # the crate root holds the module list and re-exports, not a layer
        owner = path[0]
        with open(f, encoding="utf-8") as fh:
            raw = fh.read()
        text = strip(raw)
        spans = inline_modules(text)

        def add(target, offset):
            if target and target != owner:
                line = text.count("\n", 0, offset) + 1
                source = raw.splitlines()[line - 1].strip()
                where = f"{os.path.relpath(f, src_dir)}:{line}: {source}"
                edges.setdefault((owner, target), where)

        for m in re.finditer(r"(?<![\w$])crate\s*::", text):
            for seg in first_segments(text, m.end()):
                add(top(seg), m.start())
        for m in re.finditer(r"(?<![\w:])((?:super\s*::\s*)+)", text):
            ups = m.group(1).count("super")
            here = path + module_at(spans, m.start())
            if ups > len(here):
                continue
            base = here[: len(here) - ups]
            for seg in first_segments(text, m.end()):
                if seg in ("super", "self"):
                    continue
                full = base + [seg]
                add(top(full[0]) if len(full) == 1 else full[0], m.start())
    return modules, edges


def sccs(nodes, succ):
    """Tarjan's strongly connected components."""
    index, low, on, stack, out = {}, {}, set(), [], []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(succ.get(v, ())):
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
            out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(nodes):
        if v not in index:
            visit(v)
    return out


def loop_through(comp, succ):
    """Returns one cycle through the component's first module (a shortest one, by BFS)."""
    start = comp[0]
    members = set(comp)
    prev = {start: None}
    queue = [start]
    while queue:
        v = queue.pop(0)
        for w in sorted(succ.get(v, ())):
            if w == start:
                path = [v]
                while prev[path[-1]] is not None:
                    path.append(prev[path[-1]])
                return list(reversed(path)) + [start]
            if w in members and w not in prev:
                prev[w] = v
                queue.append(w)
    return [start]


def report(src_dir):
    modules, edges = analyse(src_dir)
    succ = {}
    for a, b in edges:
        succ.setdefault(a, set()).add(b)
    comps = sccs(modules, succ)
    comp_of = {m: i for i, c in enumerate(comps) for m in c}
    # Tarjan emits components dependencies first, so one pass assigns layers.
    layer = {}
    for i, comp in enumerate(comps):
        deps = {comp_of[w] for v in comp for w in succ.get(v, ()) if comp_of[w] != i}
        layer[i] = 1 + max((layer[d] for d in deps), default=-1)
    loops = [c for c in comps if len(c) > 1]
    print(f"{src_dir}: {len(modules)} modules, {len(edges)} dependencies, "
          f"{len(loops)} import cycle(s)")
    by_layer = {}
    for i, comp in enumerate(comps):
        label = comp[0] if len(comp) == 1 else "{" + " ".join(comp) + "}"
        by_layer.setdefault(layer[i], []).append(label)
    for n in sorted(by_layer):
        print(f"  layer {n}: {', '.join(sorted(by_layer[n]))}")
    for k, comp in enumerate(loops, 1):
        print(f"  cycle {k}: {len(comp)} modules import each other: {', '.join(comp)}")
        path = loop_through(comp, succ)
        print(f"    for example {' -> '.join(path)}")
        for a, b in zip(path, path[1:]):
            print(f"      {a} -> {b}  ({edges[(a, b)]})")
        inside = sorted((a, b) for (a, b) in edges if a in comp and b in comp)
        print(f"    all {len(inside)} edges inside: "
              + ", ".join(f"{a}->{b}" for a, b in inside))
    return len(loops)


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if len(argv) >= 2 else 2
    total = 0
    for src_dir in argv[1:]:
        if not os.path.isdir(src_dir):
            print(f"{src_dir}: not a directory", file=sys.stderr)
            return 2
        total += report(src_dir)
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
