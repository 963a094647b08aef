"""Run the parsing of hostile bytes in a child process with its own memory, CPU and time limits.

Decoders of PDFs, videos and sound are large C libraries fed with whatever a stranger uploads: a
bomb or a crash there must kill a child, not the web or task worker. A child script (`pdf_pages`,
`media_transcode`) calls `limit_self` once its libraries are loaded and before it reads a byte of
the upload; the parent starts it with `run`, which adds a wall-clock timeout.

This module imports nothing from Django or the project. A child started with `python -I` (no
user site, no script directory on the path) imports it by appending its own directory to the end
of `sys.path`, after the standard library, so no sibling module can shadow a standard one.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys


def limit_self(memory_bytes: int, cpu_seconds: int) -> None:
    """Cap this process before it reads the hostile bytes: address space above what the
    interpreter already uses, and CPU time (SIGXCPU, then SIGKILL, when it is spent)."""
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    try:
        with open("/proc/self/status") as status:
            used = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmSize:"))
    except (OSError, StopIteration):
        return  # not Linux (a developer's Mac): the parent's timeout still applies
    resource.setrlimit(resource.RLIMIT_AS, (used + memory_bytes, used + memory_bytes))


def run(script: str, parameters: dict, *, seconds: float, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    """Run `python -I script PARAMETERS_JSON` and wait at most `seconds` (plus start-up).

    Raises subprocess.TimeoutExpired (the child is killed) or OSError (no process could be
    started: out of memory or process slots); the caller turns both into a refusal.
    """
    command = [sys.executable, "-I", script, json.dumps(parameters)]
    return subprocess.run(  # noqa: S603 (our own interpreter and script, no shell)
        command, input=stdin, capture_output=True, timeout=seconds + 5, check=False
    )
