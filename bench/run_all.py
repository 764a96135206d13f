"""Run every benchmark in bench/ one after another (``make bench``).

A benchmark is any ``bench/*.py`` that is not a helper (``common``, ``generate``, this file, ``_*.py``).
Each runs in its own process with the project's interpreter, on its own fresh ``crm_bench`` database.

    .venv/bin/python bench/run_all.py                 # all of them
    .venv/bin/python bench/run_all.py users_list      # only these
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

BENCH = Path(__file__).resolve().parent
HELPERS = {"common", "generate", "run_all"}


def benchmarks() -> list[Path]:
    return sorted(p for p in BENCH.glob("*.py") if p.stem not in HELPERS and not p.stem.startswith("_"))


def main(argv: Sequence[str] | None = None) -> int:
    wanted = list(sys.argv[1:] if argv is None else argv)
    scripts = benchmarks()
    unknown = set(wanted) - {p.stem for p in scripts}
    if unknown:
        print(f"Unknown benchmark(s): {', '.join(sorted(unknown))}; known: {', '.join(p.stem for p in scripts)}")
        return 2
    if wanted:
        scripts = [p for p in scripts if p.stem in wanted]
    outcomes: list[tuple[str, int, float]] = []
    for script in scripts:
        print(f"\n=== {script.stem} ===", flush=True)
        started = time.perf_counter()
        code = subprocess.call([sys.executable, str(script)], cwd=BENCH.parent)
        outcomes.append((script.stem, code, time.perf_counter() - started))
    print("\n=== summary ===")
    for name, code, seconds in outcomes:
        print(f"  {name:24} {'ok' if code == 0 else f'FAILED (exit {code})':18} {seconds:6.0f} s")
    return 0 if all(code == 0 for _name, code, _s in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
