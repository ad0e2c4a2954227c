"""``citypilot users password NAME`` and ``citypilot tokens create|list|revoke``: signing in.

Registered after ``users_cmd`` (it adds ``password`` to the ``users`` group).
"""

from __future__ import annotations

import datetime as dt
import json
import sys

import click

from app.cli.context import engine
from assets.accounts import issue_token, list_tokens, revoke_token, set_password, token_status
from assets.db import unit_of_work


@click.command("password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
def password_cmd(name: str, password_stdin: bool) -> None:
    """Set the password user NAME signs in with (argon2id hash; ends their open sessions)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    with unit_of_work(engine(), None) as session:
        set_password(session, name, password)
    click.echo(f"password set for {name}")


@click.group("tokens")
def tokens_group() -> None:
    """API tokens for integrations (Authorization: Bearer <token>)."""


@tokens_group.command("create")
@click.argument("name")
@click.option("--label", required=True, help="What the token is for, e.g. 'qgis-plugin' (unique per user).")
@click.option("--expires", "expires_days", type=click.IntRange(min=1), default=None, metavar="DAYS",
              help="Valid for DAYS days (default: until revoked).")
def create_token_cmd(name: str, label: str, expires_days: int | None) -> None:
    """Issue a token acting as user NAME; it is shown once."""
    with unit_of_work(engine(), None) as session:
        issued = issue_token(session, name, label, expires_days)
        expires = issued.token.expires_at
    click.echo(issued.secret)
    until = f", expires {expires:%Y-%m-%d %H:%M} UTC" if expires else ""
    click.echo(f"token {label!r} for {name}{until}: store it now, it is not shown again", err=True)


@tokens_group.command("list")
@click.argument("name", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_tokens_cmd(name: str | None, as_json: bool) -> None:
    """List the tokens (of user NAME), newest first; secrets are never shown."""
    now = dt.datetime.now(dt.UTC)
    with unit_of_work(engine(), None) as session:
        rows = [
            {
                "id": t.id, "user": user, "label": t.label, "prefix": t.prefix, "status": token_status(t, now),
                "created_at": t.created_at.isoformat(),
                "expires_at": t.expires_at.isoformat() if t.expires_at else None,
                "last_used_at": t.last_used_at.isoformat() if t.last_used_at else None,
            }
            for t, user in list_tokens(session, name)
        ]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    click.echo(f"{'id':>4}  {'user':<14} {'label':<20} {'status':<8} {'prefix':<10} last used")
    for r in rows:
        click.echo(f"{r['id']:>4}  {r['user']:<14} {r['label']:<20} {r['status']:<8} {r['prefix']:<10} "
                   f"{r['last_used_at'] or 'never'}")


@tokens_group.command("revoke")
@click.argument("name")
@click.option("--label", required=True, help="The label of the token to revoke.")
def revoke_token_cmd(name: str, label: str) -> None:
    """Revoke user NAME's token labelled LABEL."""
    with unit_of_work(engine(), None) as session:
        revoke_token(session, name, label)
    click.echo(f"revoked token {label!r} of {name}")


def register(cli: click.Group) -> None:
    users = cli.commands.get("users")
    if not isinstance(users, click.Group):
        users = click.Group("users", help="Manage the people (and processes) who act on the system.")
        cli.add_command(users)
    users.add_command(password_cmd)
    cli.add_command(tokens_group)
