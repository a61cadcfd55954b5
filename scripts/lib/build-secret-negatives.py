#!/usr/bin/env python3
"""Builds the pinned hard-negative corpus for the secret detector (see README, guardrails: `guard secret-check`).

Texts that hold hashes, ids and random-looking strings but no credential, none from the guardrail data:
git commit/tree/blob ids of this repository at a fixed commit, dpkg md5sums, Maven .sha1 files and
_remote.repositories, npm lock-file integrity/resolved lines, go.sum lines, sha256sum lines (with
docker-style "sha256:" forms), UUIDs from a seeded generator, base64 of prose, version strings,
/usr/share/doc README paragraphs and java.base source lines. Deterministic: sorted inputs, fixed caps.
Usage: scripts/lib/build-secret-negatives.py REPO_DIR COMMIT OUT.jsonl.gz
(the shipped corpus: this checkout, commit 2980c4a, on the project machine of 2026-12-02; it reads that
machine's files, so elsewhere it builds a corpus of the same kinds, not the same bytes: the committed file is the pin)
"""
import base64, glob, gzip, hashlib, json, os, random, subprocess, sys, uuid, zipfile

repo, commit, out = sys.argv[1], sys.argv[2], sys.argv[3]
texts = []
def add(source, text):
    text = text.strip()
    if 8 <= len(text) <= 600:
        texts.append({"source": source, "text": text})

def take(lst, n, seed):
    lst = sorted(set(lst))
    random.Random(seed).shuffle(lst)
    return lst[:n]

# git: commit lines with tree and parent ids, ls-tree blob lines
log = subprocess.run(["git", "-C", repo, "log", "--format=commit %H%ntree %T%nparent %P%nAuthor: %an%n    %s", "-n", "150", commit], capture_output=True, text=True, check=True).stdout
for block in log.split("commit ")[1:]:
    add("git-log", "commit " + block)
tree = subprocess.run(["git", "-C", repo, "ls-tree", "-r", commit], capture_output=True, text=True, check=True).stdout.splitlines()
for l in take(tree, 400, 1):
    add("git-ls-tree", l)
for l in take(tree, 200, 2):
    sha = l.split()[2]
    add("git-rev", f"git checkout {sha[:12]} && git show {sha}")
    add("git-rev", f'"commit": "{sha}", "short": "{sha[:7]}"')

# dpkg md5sums
lines = []
for f in sorted(glob.glob("/var/lib/dpkg/info/*.md5sums")):
    with open(f, errors="replace") as fh:
        lines += fh.read().splitlines()[:3]
for l in take(lines, 500, 3):
    add("dpkg-md5sums", l)

# Maven: .sha1 files, _remote.repositories
m2 = os.path.expanduser("~/.m2/repository")
shas = sorted(glob.glob(m2 + "/**/*.sha1", recursive=True))
for f in take(shas, 300, 4):
    with open(f, errors="replace") as fh:
        add("maven-sha1", os.path.basename(f)[:-5] + " sha1: " + fh.read().split()[0] if os.path.getsize(f) else "")
for f in take(sorted(glob.glob(m2 + "/**/_remote.repositories", recursive=True)), 150, 5):
    with open(f, errors="replace") as fh:
        add("maven-remote", fh.read())

# npm lock files: integrity and resolved lines
for f in ["/work/peers/llama.cpp/tools/ui/package-lock.json"]:
    with open(f) as fh:
        lock = json.load(fh)
    items = sorted((lock.get("packages") or {}).items())
    for name, p in take([(k, json.dumps(v, sort_keys=True)) for k, v in items], 400, 6):
        v = json.loads(p)
        if "integrity" in v:
            add("npm-lock", f'"{name}": {{ "version": "{v.get("version","")}", "resolved": "{v.get("resolved","")}", "integrity": "{v["integrity"]}" }}')
for f in ["/usr/share/doc/prometheus/examples/remote_storage/go.sum"]:
    with open(f) as fh:
        for l in take(fh.read().splitlines(), 300, 7):
            add("go-sum", l)

# sha256sum lines of documentation files, plain and docker-style
docs = sorted(glob.glob("/usr/share/doc/*/copyright"))
for f in take(docs, 300, 8):
    with open(f, "rb") as fh:
        data = fh.read()
    h = hashlib.sha256(data).hexdigest()
    add("sha256sum", f"{h}  {f}")
    add("sha256sum", f"image: registry.example/app@sha256:{h}")
    add("sha256sum", f'checksum = "sha512-{base64.b64encode(hashlib.sha512(data).digest()).decode()}"')
    add("sha256sum", f"md5: {hashlib.md5(data).hexdigest()}  etag: \"{hashlib.sha1(data).hexdigest()}\"")

# UUIDs, seeded
rnd = random.Random(9)
for i in range(300):
    u = uuid.UUID(int=rnd.getrandbits(128), version=4)
    add("uuid", rnd.choice([f"request_id={u}", f'"id": "{u}"', f"trace {u} started", f"<UserSecretsId>{u}</UserSecretsId>", f"correlationId: {u}", f"session {u} closed"]))

# base64 of prose, version strings
paras = []
for f in take(sorted(glob.glob("/usr/share/doc/*/README*")), 400, 10):
    try:
        with open(f, errors="replace") as fh:
            paras += [p.replace("\n", " ") for p in fh.read().split("\n\n") if 120 <= len(p) <= 600]
    except (IsADirectoryError, UnicodeDecodeError):
        pass
for p in take(paras, 900, 11)[:700]:
    add("doc-readme", p)
for p in take(paras, 900, 12)[:150]:
    add("base64-prose", "data = \"" + base64.b64encode(p[:120].encode()).decode() + "\"")

# java.base sources: lines that hold key/token/secret words or long literals
with zipfile.ZipFile("/usr/lib/jvm/temurin-25-jdk-amd64/lib/src.zip") as z:
    names = sorted(n for n in z.namelist() if n.startswith("java.base/") and n.endswith(".java"))
    lines = []
    for n in take(names, 400, 13):
        for l in z.read(n).decode("utf-8", "replace").splitlines():
            ll = l.lower()
            if any(w in ll for w in ("key", "token", "secret", "password", "auth", "hash", "digest")) and "=" in l:
                lines.append(l)
for l in take(lines, 600, 14):
    add("java-base", l)

with gzip.GzipFile(out, "wb", mtime=0) as g:
    for t in texts:
        g.write((json.dumps(t, ensure_ascii=False, sort_keys=True) + "\n").encode())
from collections import Counter
print(len(texts), Counter(t["source"] for t in texts))
