"""Processes, wrk runs and RSS sampling for the benchmarks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.servers import Process, free_port, wait_http

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
LUA = ROOT / "bench" / "wrk" / "requests.lua"


def uvicorn(
    target: str, env: dict[str, str], *, workers: int = 1, name: str = "api"
) -> tuple[Process, str]:
    """Serve ``target`` with uvicorn (as `appeals serve` does) on a free port."""
    port = free_port()
    args = [
        sys.executable,
        "-m",
        "uvicorn",
        target,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    full_env = {**os.environ, **env}
    proc = Process(args, full_env, RESULTS / f"{name}-{port}.log")
    base = f"http://127.0.0.1:{port}"
    wait_http(base + "/healthz", timeout=60, proc=proc)
    return proc, base


def _tree(pid: int) -> list[int]:
    out = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return out
    for child in children:
        out.extend(_tree(int(child)))
    return out


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (uvicorn workers), MB."""
    total = 0
    for p in _tree(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def worker_rss_mb(pid: int) -> list[float]:
    """RSS of each leaf process (the serving workers), MB."""
    tree = _tree(pid)
    leaves = tree[1:] or tree
    return [rss_mb(p) for p in leaves if p != pid] or [rss_mb(pid)]


@dataclass
class RssSampler:
    pid: int
    peak: float = 0.0
    peak_worker: float = 0.0
    _stop: threading.Event = field(default_factory=threading.Event)

    def __enter__(self) -> RssSampler:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_mb(self.pid))
            self.peak_worker = max([self.peak_worker, *worker_rss_mb(self.pid)])
            self._stop.wait(0.25)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def write_requests(path: Path, lines: Sequence[tuple[str, str, dict[str, str], str]]) -> Path:
    """A request file for requests.lua: (method, path, headers, body) per line."""
    with path.open("w", encoding="utf-8") as out:
        for method, url_path, headers, body in lines:
            hdrs = "\x1f".join(f"{k}: {v}" for k, v in headers.items())
            out.write(f"{method}\t{url_path}\t{hdrs}\t{body}\n")
    return path


def wrk(
    base: str,
    request_file: Path,
    *,
    duration: int,
    connections: int = 32,
    threads: int = 2,
    mode: str = "cycle",
    pid: int | None = None,
) -> dict[str, Any]:
    """Run wrk against ``base`` replaying ``request_file``; throughput and latency (ms)."""
    args = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{duration}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA),
        base,
        "--",
        str(request_file),
        mode,
        str(threads),
    ]
    sampler = RssSampler(pid) if pid else None
    if sampler:
        sampler.__enter__()
    try:
        done = subprocess.run(args, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"wrk failed: {done.stdout}\n{done.stderr}")
    finally:
        if sampler:
            sampler.__exit__()
    line = [ln for ln in done.stdout.splitlines() if ln.startswith("{")][-1]
    raw = json.loads(line)
    seconds = raw["duration_us"] / 1e6
    errors = sum(v for k, v in raw.items() if k.startswith("errors_"))
    result = {
        "rps": round(raw["requests"] / seconds, 1),
        "requests": raw["requests"],
        "errors": errors,
        "errors_status": raw["errors_status"],
        "p50_ms": raw["p50_us"] / 1000,
        "p95_ms": raw["p95_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "wrapped": raw["wrapped"],
        "connections": connections,
    }
    if sampler:
        result["rss_mb"] = round(sampler.peak, 1)
        result["worker_rss_mb"] = round(sampler.peak_worker, 1)
    return result


def profile(pid: int, seconds: int, out: Path) -> subprocess.Popen[bytes]:
    """Start py-spy sampling ``pid`` (and its children) into collapsed stacks."""
    return subprocess.Popen(
        [
            str(Path(sys.executable).parent / "py-spy"),
            "record",
            "-p",
            str(pid),
            "-d",
            str(seconds),
            "-r",
            "200",
            "--subprocesses",
            "--format",
            "raw",
            "-o",
            str(out),
            "--nonblocking",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def summarise_profile(path: Path, top: int = 25) -> list[tuple[str, float]]:
    """Inclusive share of samples per function (collapsed py-spy stacks)."""
    totals: dict[str, int] = {}
    all_samples = 0
    if not path.exists():
        return []
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        all_samples += n
        for frame in set(stack.split(";")):
            totals[frame] = totals.get(frame, 0) + n
    ranked = sorted(totals.items(), key=lambda kv: -kv[1])
    return [(f, round(100 * n / all_samples, 1)) for f, n in ranked[:top]] if all_samples else []


def timed(fn: Any, repeat: int) -> dict[str, float]:
    """Median and p95 wall time of ``fn()`` over ``repeat`` calls, ms."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return {
        "median_ms": round(times[len(times) // 2], 2),
        "p95_ms": round(times[min(len(times) - 1, int(len(times) * 0.95))], 2),
    }
