#!/usr/bin/env bash
# The Dockerfile's build step against this workspace, without a container builder: the lock file
# is current (the image builds with --locked, as CI does), every package its `cargo build -p`
# names exists, every binary it copies out of target/release is one of theirs, and the files it
# copies from the clone exist. Run by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
metadata=$(cargo metadata --locked --no-deps --format-version 1)
python3 - "$metadata" <<'PY'
import json, os, re, sys

meta = json.loads(sys.argv[1])
text = open("Dockerfile").read().replace("\\\n", " ")
errors = []
build = re.search(r"cargo build ([^\n;&]*)", text)
if not build:
    sys.exit("Dockerfile: no `cargo build` step")
words = build.group(1).split()
if "--locked" not in words or "--release" not in words:
    errors.append("the cargo build step must use --release --locked")
packages = [words[i + 1] for i, w in enumerate(words) if w == "-p"]
by_name = {p["name"]: p for p in meta["packages"]}
binaries = set()
for name in packages:
    if name not in by_name:
        errors.append(f"cargo build -p {name}: no such package in the workspace")
        continue
    binaries |= {t["name"] for t in by_name[name]["targets"] if "bin" in t["kind"]}
for copied in re.findall(r"/target/release/([A-Za-z0-9_.-]+)", text):
    if copied not in binaries:
        errors.append(f"copies target/release/{copied}, which no built package makes")
for line in re.findall(r"^COPY (?!--from)(.*)$", text, re.M):
    for source in line.split()[:-1]:
        if source != "." and not os.path.exists(source):
            errors.append(f"COPY {source}: no such file in the clone")
if errors:
    sys.exit("Dockerfile: " + "; ".join(errors))
print(f"Dockerfile: builds {', '.join(packages)} --locked; copies {', '.join(sorted(binaries))}")
PY
