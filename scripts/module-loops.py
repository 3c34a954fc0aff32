#!/usr/bin/env python3
"""Lists import loops between the modules of a library crate.

A module is a file under src/ (`a/b.rs` and `a/b/mod.rs` are `a::b`; `lib.rs` is the crate
root). Module A uses module B when A's file (its inline `mod tests` blocks and `tests.rs`
children left out) names a path `crate::b…` or `super::…` that resolves to B or an item
of B. A loop is a strongly connected set of two or more modules; a parent using its own
child and the child using the parent (`super::`) count too, since a reader cannot put either
below the other.

    scripts/module-loops.py crates/icloudpd-sync   # exit 1 and the loops, if any

It reads `use` lines and inline paths with regular expressions: enough for this codebase's
style (one `use` per path, no glob imports across modules, no macros that name modules).
"""
import os
import re
import sys


def modules(src):
    """Maps module path (tuple) -> file, tests excluded."""
    out = {}
    for d, _, files in os.walk(src):
        for f in files:
            if not f.endswith(".rs"):
                continue
            rel = os.path.relpath(os.path.join(d, f), src)[:-3].split(os.sep)
            if rel[-1] in ("mod", "lib", "main"):
                rel = rel[:-1]
            if "tests" in rel:
                continue
            out[tuple(rel)] = os.path.join(d, f)
    return out


def strip(text):
    """The text without comments, strings and `#[cfg(test)] mod … { … }` blocks."""
    text = re.sub(r"//[^\n]*", "", text)
    text = re.sub(r'"(\\.|[^"\\])*"', '""', text)
    out, i = [], 0
    pattern = re.compile(r"#\[cfg\([^\]]*test[^\]]*\)\]\s*(#\[[^\]]*\]\s*)*mod \w+\s*\{")
    while True:
        m = pattern.search(text, i)
        if not m:
            out.append(text[i:])
            break
        out.append(text[i : m.start()])
        depth, j = 1, m.end()
        while j < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[j], 0)
            j += 1
        i = j
    return "".join(out)


def uses(module, text, known):
    """The modules `module` names."""
    found = set()
    for m in re.finditer(r"\b(crate|super)((?:::\w+)+)", text):
        head, parts = m.group(1), m.group(2).strip(":").split("::")
        base = list(module) if head == "super" else []
        if head == "super":
            base = base[:-1]
            while parts and parts[0] == "super":
                base, parts = base[:-1], parts[1:]
        path = base + parts
        # The longest prefix that is a module of ours.
        for n in range(len(path), 0, -1):
            if tuple(path[:n]) in known:
                target = tuple(path[:n])
                if target != module:
                    found.add(target)
                break
    return found


def loops(graph):
    """Tarjan's strongly connected components of two or more nodes."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
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

    sys.setrecursionlimit(10_000)
    for v in graph:
        if v not in index:
            visit(v)
    return out


def main():
    status = 0
    for crate in sys.argv[1:] or ["."]:
        src = os.path.join(crate, "src")
        mods = modules(src)
        graph = {m: uses(m, strip(open(f).read()), mods) for m, f in mods.items()}
        name = lambda m: "::".join(m) or "crate"
        for comp in loops(graph):
            status = 1
            print(f"{crate}: import loop between {', '.join(name(m) for m in comp)}")
            for a in comp:
                for b in sorted(graph[a] & set(comp)):
                    print(f"    {name(a)} uses {name(b)}")
    return status


if __name__ == "__main__":
    sys.exit(main())
