"""The `ftr` console script.

`ftr link` is the engine alone, with neither Flask nor a database, so it is dispatched
before either is imported: about a second of a 13-second run. Everything else is the
Flask command group of `tracing.cli`.
"""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:2] == ["link"]:
        from tracing.linkage.link_command import link_command

        link_command.main(args=sys.argv[2:], prog_name="ftr link")
        return
    from tracing.cli import main as ftr_main

    ftr_main()
