"""The ``crm`` console script: Litestar's CLI (run, workers, database) plus the project's commands."""

from __future__ import annotations

import os
from typing import Any

import click
from litestar.plugins import CLIPluginProtocol

from crm.lib.cli import fail, run_async, with_session


@click.group(name="users", help="Manage user accounts.")
def users_group() -> None:
    pass


@users_group.command(name="create", help="Create a user (or fail if the email exists).")
@click.option("--email", required=True)
@click.option("--password", required=True)
@click.option(
    "--role", "roles", required=True, multiple=True, help="admin, head, manager, operator, telegraph, billing"
)
@click.option("--name", default="")
@click.option("--telegraph-prefix", default=None)
def users_create(email: str, password: str, roles: tuple[str, ...], name: str, telegraph_prefix: str | None) -> None:
    from crm.features.accounts import services
    from crm.features.accounts.schemas import valid_email

    if not valid_email(email):
        fail(f"'{email}' is not a valid email address")
    problem = services.password_problem(password, email)
    if problem:
        fail(f"password rejected: {problem}")

    async def work(session: Any) -> str:
        await services.ensure_builtin_roles(session)
        known = {r.name for r in await services.all_roles(session)}
        unknown = set(roles) - known
        if unknown:
            fail(f"unknown role(s): {', '.join(sorted(unknown))}; known: {', '.join(sorted(known))}")
        if await services.email_taken(session, email):
            fail(f"a user with email {email.lower()} already exists")
        user = await services.create_user(
            session,
            email=email,
            password=password,
            name=name,
            roles=list(roles),
            telegraph_prefix=telegraph_prefix,
        )
        return str(user.id)

    user_id = run_async(lambda: with_session(work))
    click.echo(f"Created user {email.lower()} ({', '.join(roles)}), id {user_id}")


@click.group(name="demo", help="Demo data.")
def demo_group() -> None:
    pass


@demo_group.command(
    name="load",
    help="Load demo users and data (idempotent: existing records are kept). --scale large adds the spec's large "
    "organisation (100,000 companies, 1,000,000 deals, 5,000,000 activities and calls...) by COPY in one "
    "transaction, in minutes; a second run says it is already there.",
)
@click.option("--scale", type=click.Choice(["small", "large"]), default="small", show_default=True)
@click.option("--factor", type=float, default=1.0, hidden=True, help="Scale every large count (tests: 0.001).")
def demo_load(scale: str, factor: float) -> None:
    from crm.demo import load_demo

    if scale == "small":
        summary = run_async(lambda: with_session(lambda s: load_demo(s, scale=scale)))
    else:
        if not 0 < factor <= 1:
            fail("--factor must be above 0 and at most 1")
        from crm.demo_large import total_rows

        with click.progressbar(length=total_rows(factor), label="Large demo", show_pos=True, width=30) as bar:

            def step(name: str) -> None:
                bar.label = f"Large demo: {name}"
                bar.render_progress()

            summary = run_async(
                lambda: with_session(lambda s: load_demo(s, scale=scale, factor=factor, progress=bar.update, step=step))
            )
    for line in summary:
        click.echo(line)


class ProjectCommands(CLIPluginProtocol):
    def on_cli_init(self, cli: click.Group) -> None:
        """The project's own commands, then every slice's ``cli.COMMANDS``."""
        import importlib

        from crm.features import SLICES

        cli.add_command(users_group)
        cli.add_command(demo_group)
        for name in SLICES:
            try:
                module = importlib.import_module(f"crm.features.{name}.cli")
            except ModuleNotFoundError as exc:
                if exc.name != f"crm.features.{name}.cli":
                    raise
                continue
            for command in module.COMMANDS:
                cli.add_command(command)


def main() -> None:
    os.environ.setdefault("LITESTAR_APP", "crm.app:create_app")
    from litestar.cli.main import litestar_group

    litestar_group(prog_name="crm")
