"""Command line: ``wijkindeling validate | propose | evaluate | ...`` (see ``--help``).

One module per command group: :mod:`.plans` (validate, propose, sweep, evaluate), :mod:`.compare`
(compare, import), :mod:`.handreiking` (blueprint, region, init). User errors (config, data, plan
files) print one sentence and exit with code 2, in one place: :func:`.common.exit_code`.
"""

from __future__ import annotations

from typing import Any

import click

from ..interrupts import interrupt_guard
from . import compare, data, handreiking, plans, sessie
from .common import user_errors


class SafeGroup(click.Group):
    """Every command: user errors as one line + exit 2, Ctrl-C/SIGTERM as one line + exit 130."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command of ``ctx`` under the interrupt guard and the user-error handler; return its result."""
        with interrupt_guard(), user_errors():
            return super().invoke(ctx)


@click.group(cls=SafeGroup)
@click.version_option(package_name="wijkindeling")
def main() -> None:
    """Divide a municipality's CBS buurten into contiguous areas for hechte wijkverbanden."""


for command in (plans.validate, plans.propose, plans.sweep, plans.evaluate, handreiking.blueprint_cmd,
                handreiking.region_cmd, handreiking.init_cmd, compare.compare_cmd, compare.import_cmd, data.data_cmd,
                sessie.sessie_cmd):
    main.add_command(command)

if __name__ == "__main__":
    main()
