"""`crm imports …`: ERP sales imports from the console."""

from __future__ import annotations

import click


@click.group(name="imports", help="Import ERP sales files.")
def imports_group() -> None:
    pass
