"""Measure Herald's article extraction against plain trafilatura; print JSON.

    .venv/bin/python scripts/eval_extraction.py [--data DIR] [--limit N] [--workers N]

See ``herald.extract.evaluate`` for the data sets and metrics.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from herald.extract.evaluate import SYSTEMS, evaluate_readability_set, evaluate_trafilatura_set

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO.parent / "shared" / "data" / "extraction"


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    systems = args.systems.split(",")
    unknown = sorted(set(systems) - set(SYSTEMS))
    if unknown:
        print(f"unknown systems: {', '.join(unknown)}", file=sys.stderr)
        return 2
    started = time.monotonic()
    report: dict[str, Any] = {
        "trafilatura_eval": evaluate_trafilatura_set(
            args.data / "trafilatura_eval", systems, args.limit, args.workers
        ),
    }
    if not args.skip_readability:
        report["readability_test_pages"] = evaluate_readability_set(
            args.data / "readability_test_pages", systems, args.workers
        )
    report["seconds"] = round(time.monotonic() - started, 1)
    print(json.dumps(report, indent=2))
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="shared/data/extraction")
    parser.add_argument("--limit", type=int, default=None, help="first N trafilatura pages")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--systems", default="trafilatura,herald", help="comma-separated")
    parser.add_argument("--skip-readability", action="store_true")
    return parser


if __name__ == "__main__":
    sys.exit(main())
