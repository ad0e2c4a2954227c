"""``citypilot tls``: the certificate the web server needs so that tablets reach it over HTTPS."""

from __future__ import annotations

from pathlib import Path

import click

from app.servers.tls import ensure_certificates, lan_address


@click.command("tls")
@click.option("--host", "hosts", multiple=True, metavar="ADDRESS",
              help="An address the tablets use (IP or DNS name; repeat). Default: this machine's network "
                   "address, localhost and 127.0.0.1.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the files (default: <data folder>/tls).")
@click.option("--port", default=8443, show_default=True, type=click.IntRange(1, 65535),
              help="The HTTPS port to print in the URL.")
@click.option("--force", is_flag=True, help="Make a new server certificate even if the current one fits.")
def tls_cmd(hosts: tuple[str, ...], out: Path | None, port: int, force: bool) -> None:
    """Make a local certificate authority (once) and a server certificate for the tablets' addresses."""
    from app.settings import Settings

    folder = out or Settings.load().home / "tls"
    lan = lan_address()
    names = list(hosts) or [*([lan] if lan else []), "localhost", "127.0.0.1"]
    try:
        made = ensure_certificates(folder, names, force=force)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--host") from None
    click.echo(f"{'made' if made.made else 'kept'}: {made.cert} (key {made.key}) for {', '.join(made.hosts)}")
    click.echo(f"authority to install on the tablets once: {made.ca}  (SHA-256 {made.ca_sha256})")
    click.echo(f"serve: citypilot serve --host 0.0.0.0 --port {port} --cert {made.cert} --key {made.key}")
    click.echo(f"crew tablet: https://{made.hosts[0]}:{port}/crew/")


def register(cli: click.Group) -> None:
    cli.add_command(tls_cmd)
