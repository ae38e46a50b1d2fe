#!/usr/bin/env python3
"""Summarises a JFR recording's CPU samples (jdk.ExecutionSample) and allocation samples (jdk.ObjectAllocationSample):
samples by owning library (the package, in three name parts, of the topmost frame outside the JDK; Reactor's and
Micrometer's context propagation counted as one), top methods by self samples, top methods by inclusive samples (every method on the stack counted once per sample),
our own code (com.acme) by inclusive samples, and threads. Usage: jfr-hot.py FILE.jfr [TOP]. JDK 17's jfr has no
'view' command, so this reads 'jfr print' output."""
import collections
import re
import subprocess
import sys

path = sys.argv[1]
top = int(sys.argv[2]) if len(sys.argv) > 2 else 30
frame_re = re.compile(r"^\s+(\S+?)\((.*?)\)\s+line:")


def events(kind):
    text = subprocess.run(["jfr", "print", "--stack-depth", "96", "--events", kind, path], check=True,
                          capture_output=True, text=True).stdout
    for block in text.split("\n}\n"):
        if kind not in block:
            continue
        frames, thread, weight = [], "?", 1
        for line in block.splitlines():
            m = frame_re.match(line)
            if m:
                frames.append(m.group(1))
            elif "sampledThread = " in line or "eventThread = " in line:
                thread = re.sub(r"\d+", "N", line.split('"')[1]) if '"' in line else "?"
            elif line.strip().startswith("weight = "):
                value = line.split("=", 1)[1].strip()
                number, unit = (value.split() + ["bytes"])[:2]
                weight = float(number) * {"bytes": 1, "kB": 1024, "MB": 1024 ** 2, "GB": 1024 ** 3}.get(unit, 1)
        if frames:
            yield thread, frames, weight


def owner(frames):
    for f in frames:
        if f.startswith(("java.", "jdk.", "sun.")):
            continue
        if f.startswith(("io.micrometer.context", "reactor.core.publisher.ContextPropagation",
                         "reactor.core.publisher.FluxContextWriteRestoring",
                         "reactor.core.publisher.MonoContextWriteRestoring")):
            return "context-propagation"
        return ".".join(f.split(".")[:3])
    return "jdk-only"


def show(title, counter, total, unit):
    print(f"\n{title} (of {total:.0f} {unit})")
    for name, n in counter.most_common(top):
        print(f"{100.0 * n / total:6.2f}%  {name}")


for kind, unit in (("jdk.ExecutionSample", "samples"), ("jdk.ObjectAllocationSample", "bytes sampled")):
    self_, incl, ours, threads, owners, total = (collections.Counter(), collections.Counter(), collections.Counter(),
                                                 collections.Counter(), collections.Counter(), 0.0)
    for thread, frames, weight in events(kind):
        w = 1 if kind == "jdk.ExecutionSample" else weight
        total += w
        threads[thread] += w
        self_[frames[0]] += w
        owners[owner(frames)] += w
        for name in set(frames):
            incl[name] += w
            if name.startswith("com.acme."):
                ours[name] += w
    if not total:
        print(f"\n{kind}: none")
        continue
    print(f"\n===== {kind} =====")
    show("threads", threads, total, unit)
    show("by owning library (topmost non-JDK frame)", owners, total, unit)
    show("self (top frame)", self_, total, unit)
    show("inclusive", incl, total, unit)
    show("inclusive, com.acme only", ours, total, unit)
