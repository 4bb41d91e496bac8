"""The `cliniform` command line: a thin layer over the same functions the app uses.

Each area registers its own commands (`register(subparsers)`) in a module listed in
COMMAND_MODULES, so this file stays small and every command has its own `--help`.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

COMMAND_MODULES: tuple[str, ...] = (
    "engine.commands",
    "engine.store.commands",
    "engine.store.account_commands",
    "renderer.web.commands",
    "renderer.pdf.commands",
)

DESCRIPTION = """\
Cliniform: a low-code EMR runtime.

Definitions (forms, rules, workflows, packs) are YAML or JSON files; `cliniform check`
reads and checks them, `cliniform eval` evaluates a form for a set of answers, and
`cliniform test` runs the tests written inside definitions.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cliniform",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version="cliniform 0.1.0 (engine 1.0.0)")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        return int(handler(args) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
