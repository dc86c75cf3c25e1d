"""`vaultra mail ...`: the outbox from the command line (development has no mail server).

Only typer is imported at the top (app/cli.py says why): the command imports the rest.
"""

import asyncio
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from app.core.config import Settings

mail_cli = typer.Typer(help="Email: the outbox.", no_args_is_help=True)


@mail_cli.command("list")
def list_mail(
    to: str | None = typer.Option(None, help="Only mail to this address."),
    limit: int = typer.Option(20, min=1, max=500, help="At most this many, newest first."),
    body: bool = typer.Option(False, "--body", help="Print each plain-text part too."),
) -> None:
    """List the outbox, newest first: status, recipient, subject (and the text with --body)."""
    from app.core.config import get_settings

    lines = asyncio.run(_list(get_settings(), to, limit, body))
    typer.echo("\n".join(lines) if lines else "The outbox is empty.")


async def _list(settings: "Settings", to: str | None, limit: int, body: bool) -> list[str]:
    from app.core.db import Database
    from app.notifications import sender, service

    database = Database.from_settings(settings)
    try:
        async with database.session() as session:
            emails = await service.list_outbox(session, to=to, limit=limit)
            lines: list[str] = []
            for email in emails:
                lines.append(
                    f"{email.created_at:%Y-%m-%d %H:%M:%S}  {email.status:<11}  {email.kind:<20}  "
                    f"{email.to}  {email.subject}"
                )
                if body:
                    lines += [f"  Message-ID: {sender.message_id(email, settings)}", ""]
                    lines += [f"  {line}" for line in email.body.splitlines()]
                    lines.append("")
            return lines
    finally:
        await database.dispose()
