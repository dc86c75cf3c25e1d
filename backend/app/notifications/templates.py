"""Plain-text and HTML parts of one email, from one structure, so both always say the same.

Every figure in a notification is the business's own aggregate (score, tier, ratios, counts):
never a customer's name, email or card (no PII of the business's customers).
"""

from dataclasses import dataclass, field
from html import escape


@dataclass
class Section:
    heading: str
    lines: list[str] = field(default_factory=list)


@dataclass
class Content:
    greeting: str
    intro: list[str]
    sections: list[Section] = field(default_factory=list)
    # (label, url) of the call to action.
    action: tuple[str, str] | None = None
    # Why the reader gets this, and how to stop it.
    footer: str = ""
    unsubscribe_url: str | None = None
    settings_url: str | None = None


def render_text(content: Content) -> str:
    lines = [content.greeting, "", *content.intro]
    for section in content.sections:
        lines += ["", section.heading, *(f"  - {line}" for line in section.lines)]
    if content.action is not None:
        label, url = content.action
        lines += ["", f"{label}: {url}"]
    lines += ["", "--"]
    if content.footer:
        lines.append(content.footer)
    if content.unsubscribe_url:
        lines.append(f"Unsubscribe with one click: {content.unsubscribe_url}")
    if content.settings_url:
        lines.append(f"Email settings: {content.settings_url}")
    return "\n".join(lines) + "\n"


def render_html(content: Content) -> str:
    parts = [
        '<!doctype html><html><head><meta charset="utf-8"></head>',
        '<body style="font-family:system-ui,sans-serif;color:#1a1a2e;max-width:36rem">',
        f"<p>{escape(content.greeting)}</p>",
        *(f"<p>{escape(line)}</p>" for line in content.intro),
    ]
    for section in content.sections:
        parts.append(f"<h3>{escape(section.heading)}</h3><ul>")
        parts += [f"<li>{escape(line)}</li>" for line in section.lines]
        parts.append("</ul>")
    if content.action is not None:
        label, url = content.action
        parts.append(
            f'<p><a href="{escape(url)}" style="background:#3b3bd6;color:#fff;padding:.5rem 1rem;'
            f'border-radius:4px;text-decoration:none">{escape(label)}</a></p>'
        )
    footer: list[str] = []
    if content.footer:
        footer.append(escape(content.footer))
    if content.unsubscribe_url:
        footer.append(f'<a href="{escape(content.unsubscribe_url)}">Unsubscribe</a>')
    if content.settings_url:
        footer.append(f'<a href="{escape(content.settings_url)}">Email settings</a>')
    if footer:
        parts.append('<hr><p style="font-size:.85rem;color:#555">' + " · ".join(footer) + "</p>")
    parts.append("</body></html>")
    return "".join(parts)
