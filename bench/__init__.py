


def replace_section(document, begin: str, end: str, text: str) -> None:
    """Put ``text`` (which starts with ``begin`` and ends with ``end``) in place of the section between
    those markers in ``document`` (a Path): how the validation benches write docs/validation.md."""
    import re

    content = document.read_text()
    pattern = re.compile(re.escape(begin) + ".*?" + re.escape(end), re.S)
    if not pattern.search(content):
        raise SystemExit(f"{document}: no section markers {begin!r} ... {end!r} to replace")
    document.write_text(pattern.sub(lambda _: text, content))
