#!/usr/bin/python3
"""Turns one of Herald's markdown documents into a man(7) page.

    man_page.py SOURCE.md OUTPUT --version VERSION

Each page has exactly one source, which people also read in the repository, so the page and
the document cannot drift apart:

- herald.toml(5) is docs/config.md, the configuration reference.
- herald(8) is docs/commands.md, the command reference. It is hand-written markdown rather
  than text scraped from the binary (help2man-style): `herald help CMD` has one line per
  option and nothing on exit codes, files or sendmail's own flags, and a page made from the
  binary could not be built without building it first (nor in a cross build). What keeps it
  true to the binary is tests/integration/test_man_pages.py, which walks `herald help` and
  fails for any command, option or argument the page does not name.

The source's first line names the page, as an HTML comment that GitHub does not show:

    <!-- man: herald.toml(5) "configuration file of the Herald mail server" -->

The markdown understood is the subset the documents use; anything else stops the build
rather than coming out mangled:

- `# Title` is dropped (NAME replaces it); the text before the first `##` becomes
  DESCRIPTION. `##` becomes .SH (upper case, unless it holds code such as `[server]`),
  `###` becomes .SS.
- Paragraphs; a line ending in a backslash is a hard line break. HTML comments are left out.
- `- ` and `1. ` lists, items continued by indented lines.
- Tables become tagged paragraphs (.TP), one a row: the first cell is the tag, the middle
  cells are "Header: value" lines and the last cell is the text. A config table has five
  columns of paragraph-long cells, which no 80-column terminal can show as a grid.
- Fenced code blocks become indented unfilled text.
- Inline: `code` and **bold** in bold, *emphasis* in italics (man(7): bold is what is
  typed as is, italics what is replaced), [links](target) as their text (an absolute URL
  follows it in angle brackets).

The date in .TH is the day of the last commit that changed the source (SOURCE_DATE_EPOCH
when set, as in Debian package builds; the file's mtime outside git), never the clock, so
that builds are reproducible.
"""
import argparse
import datetime
import os
import re
import subprocess
import sys
from pathlib import Path

HEADER = re.compile(r'<!--\s*man:\s*(?P<name>[\w.-]+)\((?P<section>\d)\)\s+"(?P<what>[^"]+)"\s*-->')
HEADING = re.compile(r"(#{1,6})\s+(.*)")
FENCE = re.compile(r"```")
LIST_ITEM = re.compile(r"(?:[-*]|(\d+)\.)\s+(.*)")
# A code word up to this long fits the text of a tagged paragraph in 80 columns.
LONGEST_UNBROKEN = 40
TABLE_SEPARATOR = re.compile(r"\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?")
# Inline markup, in the order it is recognised: code first, since nothing inside it counts.
INLINE = re.compile(
    r"(?P<code>(?P<ticks>`+)(?P<code_text>.+?)(?P=ticks))"
    r"|\[(?P<link_text>[^\]]+)\]\((?P<link_target>[^)\s]+)\)"
    r"|\*\*(?P<bold>.+?)\*\*"
    r"|(?<![\w*])\*(?P<emphasis>[^*\s](?:[^*]*[^*\s])?)\*(?![\w*])"
    r"|\\(?P<escaped>[\\`*_{}\[\]()#+\-.!|<>])", re.DOTALL)


class SourceError(Exception):
    pass


# --- roff text ---------------------------------------------------------------------------

def roff_escape(text):
    """Plain text as roff input: backslashes, and the characters groff would turn into
    typographic ones. `\\-` keeps options such as --config copyable (a bare - is a hyphen,
    U+2010 in UTF-8 output), `\\(aq` keeps an apostrophe straight. Characters beyond ASCII
    are named by code point, so that the page needs no input encoding."""
    out = []
    for char in text:
        if char == "\\":
            out.append("\\e")
        elif char == "-":
            out.append("\\-")
        elif char == "'":
            out.append("\\(aq")
        elif char == "`":
            out.append("\\(ga")
        elif ord(char) > 126:
            out.append(f"\\[u{ord(char):04X}]")
        else:
            out.append(char)
    return "".join(out)


def font_escape(font):
    return f"\\f{font}" if len(font) == 1 else f"\\f({font}"


def breakable(word):
    """A word too long for a line (a metric name with {a,b,c} in it) may break after a
    comma, a closing brace or an ampersand; groff would otherwise leave it overflowing."""
    if len(word) <= LONGEST_UNBROKEN:
        return word
    return re.sub(r"([,}&])", r"\1\\:", word)


def combine(font, style):
    """The font of `style` (B or I) text inside text already in `font`."""
    styles = {c for c in font if c in "BI"} | {style}
    return "BI" if styles == {"B", "I"} else style


def inline(text, font="R"):
    """Markdown inline text as roff, in `font`; every font change is undone explicitly (a
    stack of \\fP would go wrong as soon as two are nested, as in **bold with `code`**)."""
    out = []
    position = 0
    for match in INLINE.finditer(text):
        out.append(roff_escape(text[position:match.start()]))
        position = match.end()
        if match["code"]:
            # A code span may run over a line break of the source, which is a space in it.
            inner = " ".join(breakable(roff_escape(word))
                             for word in match["code_text"].split())
            code_font = combine(font, "B")
            out.append(f"{font_escape(code_font)}{inner}{font_escape(font)}")
        elif match["link_text"]:
            out.append(inline(match["link_text"], font))
            if re.match(r"https?://", match["link_target"]):
                out.append(" <" + roff_escape(match["link_target"]) + ">")
        elif match["bold"]:
            bold = combine(font, "B")
            out.append(f"{font_escape(bold)}{inline(match['bold'], bold)}{font_escape(font)}")
        elif match["emphasis"]:
            italic = combine(font, "I")
            out.append(
                f"{font_escape(italic)}{inline(match['emphasis'], italic)}{font_escape(font)}")
        else:
            out.append(roff_escape(match["escaped"]))
    out.append(roff_escape(text[position:]))
    return "".join(out)


def plain(text):
    """Inline markdown without its markup: for headings, which have a font of their own."""
    def unmark(match):
        if match["code"]:
            return match["code_text"].strip()
        if match["link_text"]:
            return match["link_text"]
        return match["bold"] or match["emphasis"] or match["escaped"]
    return INLINE.sub(unmark, text)


def text_lines(roff):
    """Running text as roff lines: a leading . or ' would make a line a request."""
    return ["\\&" + line if line[:1] in (".", "'") else line for line in roff.split("\n")]


def macro_argument(text):
    return '"' + roff_escape(text).replace('"', "\\(dq") + '"'


# --- blocks ------------------------------------------------------------------------------

def table_cells(line):
    """The cells of a table row; \\| is a pipe inside a cell."""
    row = line.strip()
    if row.startswith("|"):
        row = row[1:]
    if row.endswith("|") and not row.endswith("\\|"):
        row = row[:-1]
    return [cell.strip().replace("\\|", "|") for cell in re.split(r"(?<!\\)\|", row)]


def render_table(rows):
    header, body = rows[0], rows[1:]
    out = []
    for row in body:
        if len(row) != len(header):
            raise SourceError(f"table row with {len(row)} cells under {len(header)} headers: {row}")
        out += [".TP", *text_lines(f"\\fB{inline(row[0], 'B')}\\fR")]
        lines = [f"{roff_escape(name.capitalize())}: {inline(cell)}"
                 for name, cell in zip(header[1:-1], row[1:-1]) if cell]
        if len(header) > 1 and row[-1]:
            lines.append(inline(row[-1]))
        for i, line in enumerate(lines):
            if i:
                out.append(".br")
            out.extend(text_lines(line))
    return out


def render_heading(level, text):
    if level == 2:
        # Standard section names are upper case; a heading that names a config section
        # keeps its case, since [server] is what one types.
        title = plain(text) if "`" in text else plain(text).upper()
        return [".SH " + macro_argument(title)]
    if level == 3:
        return [".SS " + macro_argument(plain(text))]
    raise SourceError(f"heading level {level} has no man page equivalent: {text}")


def render_paragraph(lines):
    """A paragraph, rendered whole since inline markup may span its lines; a line ending
    in a backslash ends a piece that is followed by a line break."""
    out = [".PP"]
    piece = []
    for line in lines:
        if line.endswith("\\"):
            piece.append(line[:-1].rstrip())
            out += [*text_lines(inline("\n".join(piece))), ".br"]
            piece = []
        else:
            piece.append(line)
    if piece:
        out.extend(text_lines(inline("\n".join(piece))))
    elif out[-1] == ".br":
        out.pop()
    return out


def without_comments(lines):
    """The lines but for HTML comments: notes to the document's editors, which GitHub does
    not show either."""
    kept = []
    in_comment = False
    for line in lines:
        if not in_comment and line.strip().startswith("<!--"):
            in_comment = True
        if in_comment:
            in_comment = "-->" not in line
        else:
            kept.append(line)
    if in_comment:
        raise SourceError("an HTML comment is never closed")
    return kept


def render_body(lines):
    """The markdown after the title, as roff lines."""
    out = []
    i = 0
    paragraph = []

    def flush():
        if paragraph:
            out.extend(render_paragraph(paragraph))
            paragraph.clear()

    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        heading = HEADING.fullmatch(stripped) if not line.startswith(" ") else None
        item = LIST_ITEM.fullmatch(stripped) if not line.startswith(" ") else None
        if not stripped:
            flush()
            i += 1
        elif heading:
            flush()
            out.extend(render_heading(len(heading[1]), heading[2]))
            i += 1
        elif FENCE.match(stripped):
            flush()
            end = next((j for j in range(i + 1, len(lines)) if lines[j].strip() == "```"), None)
            if end is None:
                raise SourceError(f"code block opened at line {i + 1} is never closed")
            # .nf/.fi rather than .EX/.EE, whose end turns hyphenation back on.
            out += [".PP", ".RS 4", ".nf"]
            out += text_lines(roff_escape("\n".join(lines[i + 1:end])))
            out += [".fi", ".RE"]
            i = end + 1
        elif stripped.startswith("|"):
            flush()
            rows = []
            while i < len(lines) and lines[i].strip().startswith("|"):
                if not TABLE_SEPARATOR.fullmatch(lines[i].strip()):
                    rows.append(table_cells(lines[i]))
                i += 1
            out.extend(render_table(rows))
        elif item:
            flush()
            text = [item[2]]
            i += 1
            while i < len(lines) and lines[i].startswith("  ") and lines[i].strip():
                text.append(lines[i].strip())
                i += 1
            tag = f"{item[1]}." if item[1] else "\\(bu"
            out += [f".IP {tag} {4 if item[1] else 2}", *text_lines(inline("\n".join(text)))]
        elif stripped.startswith(("<", ">")):
            raise SourceError(f"line {i + 1}: HTML and block quotes have no man page form")
        else:
            paragraph.append(stripped)
            i += 1
    flush()
    return out


# --- the page ----------------------------------------------------------------------------

def page_date(source):
    """The date the page is dated with: see the module's docstring."""
    if "SOURCE_DATE_EPOCH" in os.environ:
        stamp = int(os.environ["SOURCE_DATE_EPOCH"])
    else:
        result = subprocess.run(["git", "-C", str(source.parent), "log", "-1", "--format=%ct",
                                 "--", source.name], capture_output=True, text=True)
        committed = result.stdout.strip() if result.returncode == 0 else ""
        stamp = int(committed) if committed else int(source.stat().st_mtime)
    return datetime.datetime.fromtimestamp(stamp, datetime.timezone.utc).strftime("%Y-%m-%d")


def man_page(source, version):
    lines = source.read_text(encoding="utf-8").splitlines()
    header = HEADER.fullmatch(lines[0].strip()) if lines else None
    if not header:
        raise SourceError('the first line must be <!-- man: NAME(SECTION) "what it is" -->')
    body = lines[1:]
    if not body or not body[0].startswith("# "):
        raise SourceError("the second line must be the document's # title")
    body = without_comments(body[1:])
    name = header["name"]
    out = [
        f".\\\" Generated from {source.name} by scripts/man_page.py: edit that file, not this.",
        f".TH {macro_argument(name.upper())} {header['section']} {page_date(source)} "
        f"{macro_argument('Herald ' + version)}",
        # Ragged right and no hyphenation: justified lines around long key and metric names
        # are mostly gaps, and a hyphen inside spool_dir or --dns-fixture would mislead.
        ".ad l",
        ".nh",
        ".SH NAME",
        f"{roff_escape(name)} \\- {roff_escape(header['what'])}",
    ]
    first_section = next((i for i, line in enumerate(body) if line.startswith("## ")), len(body))
    if any(line.strip() for line in body[:first_section]):
        out.append(".SH DESCRIPTION")
    out.extend(render_body(body))
    return "\n".join(out) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", type=Path)
    parser.add_argument("output", type=Path)
    parser.add_argument("--version", required=True, help="the Herald version, for .TH")
    args = parser.parse_args()
    try:
        text = man_page(args.source, args.version)
    except SourceError as e:
        sys.exit(f"{args.source}: {e}")
    # Written whole or not at all: a half page must never look up to date to the build.
    partial = args.output.with_name(args.output.name + ".partial")
    partial.write_text(text, encoding="ascii")
    partial.replace(args.output)


if __name__ == "__main__":
    main()
