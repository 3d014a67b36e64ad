"""The man pages herald(8) and herald.toml(5), as the build makes them (build/man/, beside the
binary): they render without a warning, and they name every config key the loader accepts and
every command, option and argument `herald help` shows, so neither can fall behind the binary.

What the loader accepts is asked of the binary itself (check-config names every unknown
section and key), so no list of keys is written down here to fall behind in its turn.
"""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from herald_fixture import HERALD_BIN, REPO

MAN_DIR = Path(HERALD_BIN).parent / "man"
COMMANDS_PAGE = MAN_DIR / "herald.8"
CONFIG_PAGE = MAN_DIR / "herald.toml.5"
# A value that gets every key of today's readers read, whatever it expects: a listener's
# address must parse before its other keys are looked at.
PROBE_VALUE = '"127.0.0.1:1"'
# Names per check-config run: each gives at most two errors, which with the keys already
# found stays under the 100 that check-config shows.
PROBE_BATCH = 20


def roff_text(line):
    """What a line of roff shows, near enough to find names in: fonts and breaks dropped."""
    line = re.sub(r"\\f(\(..|\[[^\]]*\]|.)", "", line)
    line = re.sub(r"\\\[u([0-9A-F]{4,})\]", lambda m: chr(int(m[1], 16)), line)
    for escape, char in (("\\-", "-"), ("\\(aq", "'"), ("\\(ga", "`"), ("\\(dq", '"'),
                         ("\\(bu", "*"), ("\\:", ""), ("\\&", ""), ("\\e", "\\")):
        line = line.replace(escape, char)
    return line


class Section:
    """A .SH or .SS of a page: its heading, the tags of its tagged paragraphs, its text."""

    def __init__(self, heading):
        self.heading = heading
        self.tags = []
        self.lines = [heading]

    def text(self):
        return "\n".join(self.lines)


def sections(page):
    found = []
    lines = page.read_text(encoding="ascii").splitlines()
    for i, line in enumerate(lines):
        if line.startswith((".SH ", ".SS ")):
            found.append(Section(roff_text(line[4:]).strip('"')))
        elif found and line == ".TP":
            found[-1].tags.append(roff_text(lines[i + 1]))
        elif found and not line.startswith("."):
            found[-1].lines.append(roff_text(line))
    return found


def names_in_tag(tag):
    """A tag such as `networks, users` documents two keys."""
    return {name.strip() for name in tag.split(",")}


# --- rendering ---------------------------------------------------------------------------

@pytest.mark.parametrize("page", [COMMANDS_PAGE, CONFIG_PAGE], ids=lambda p: p.name)
def test_groff_renders_the_page_without_a_warning(page):
    assert page.is_file(), f"no {page}: the build makes it (cmake/man_pages.cmake)"
    result = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z", str(page)],
                            capture_output=True, text=True)
    assert result.returncode == 0 and result.stderr == "", result.stderr


@pytest.mark.parametrize("page, name_line, headings", [
    (COMMANDS_PAGE, "herald - outbound mail server with deliverability built in",
     ["NAME", "SYNOPSIS", "DESCRIPTION", "GLOBAL OPTIONS", "COMMANDS", "EXIT STATUS",
      "FILES", "SEE ALSO"]),
    (CONFIG_PAGE, "herald.toml - configuration file of the Herald mail server",
     ["NAME", "DESCRIPTION", "[server]", "[[listener]] (array)", "FILES", "SEE ALSO"]),
], ids=["herald.8", "herald.toml.5"])
def test_man_shows_the_page_with_its_name_and_sections(page, name_line, headings):
    # man-db, as a user or lintian runs it; --warnings passes groff's warnings on to stderr.
    result = subprocess.run(["man", "--warnings", "-l", str(page)], capture_output=True,
                            text=True, env={**os.environ, "MANWIDTH": "80", "LC_ALL": "C.UTF-8"})
    assert result.returncode == 0 and result.stderr == "", result.stderr
    shown = result.stdout.splitlines()
    assert name_line in [line.strip() for line in shown]
    shown_headings = [line for line in shown if line and not line[0].isspace()]
    for heading in headings:
        assert heading in shown_headings, f"{page.name} has no section {heading}"


def test_the_date_of_a_page_comes_from_source_date_epoch_and_never_from_the_clock(tmp_path):
    # Package builds set SOURCE_DATE_EPOCH; two builds of one source give the same bytes.
    outputs = []
    for run in range(2):
        output = tmp_path / f"herald.8.{run}"
        subprocess.run([sys.executable, str(REPO / "scripts" / "man_page.py"),
                        str(REPO / "docs" / "commands.md"), str(output), "--version", "9.9"],
                       check=True, env={**os.environ, "SOURCE_DATE_EPOCH": "86400"})
        outputs.append(output.read_bytes())
    assert outputs[0] == outputs[1]
    assert b'\n.TH "HERALD" 8 1970-01-02 "Herald 9.9"\n' in outputs[0]


# --- herald.toml(5): every key ------------------------------------------------------------

def check_config_errors(herald_bin, tmp_path, header, names, value):
    """The errors of `header` followed by `name = value` for each name. check-config shows
    at most 100 errors, so the names go in small batches."""
    errors = []
    for start in range(0, len(names), PROBE_BATCH):
        path = tmp_path / "probe.toml"
        batch = names[start:start + PROBE_BATCH]
        path.write_text(header + "".join(f"{name} = {value}\n" for name in batch))
        result = subprocess.run([herald_bin, "check-config", "--config", str(path)],
                                capture_output=True, text=True)
        assert "more errors not shown" not in result.stderr, result.stderr
        errors.append(result.stderr)
    return "".join(errors)


def candidate_names():
    """Every word the config code spells as a string literal: a superset of its section and
    key names, wherever in src/config they are read."""
    words = set()
    for source in (REPO / "src" / "config").glob("*.[ch]pp"):
        words |= set(re.findall(r'"([a-z][a-z0-9_]*)"', source.read_text()))
    return sorted(words)


def table_header(table, tables):
    """The headers that open `table`: inside an array of tables ([[ip_pool.address]] in
    [[ip_pool]]) the element it belongs to is opened first."""
    if not table:
        return ""
    parent = table.rpartition(".")[0]
    opening = table_header(parent, tables) if tables.get(parent) == "array" else ""
    return opening + (f"[[{table}]]\n" if tables.get(table) == "array" else f"[{table}]\n")


def accepted_tables(herald_bin, tmp_path, candidates):
    """{"server": "table", "listener": "array", "dkim.key": "array", ...}: each name given a
    wrong value is either an unknown section or a table of the kind the message names."""
    tables = {}
    pending = [""]  # the document root, then each table found
    while pending:
        parent = pending.pop()
        errors = check_config_errors(herald_bin, tmp_path,
                                     table_header(parent, tables), candidates, "1")
        for brackets, name in re.findall(r"must be an? (?:table|array of tables) \((\[+)([\w.]+)\]",
                                         errors):
            if name not in tables:
                tables[name] = "array" if brackets == "[[" else "table"
                pending.append(name)
    return tables


def accepted_keys(herald_bin, tmp_path, table, tables, candidates):
    """The candidates check-config does not call unknown in the table. A key may be looked
    at only when another is there (a listener's tls once its address parses), so the keys
    found so far go into every batch again until no new one turns up."""
    accepted = []
    while True:
        rest = [c for c in candidates if c not in accepted]
        header = table_header(table, tables) + "".join(f"{k} = {PROBE_VALUE}\n" for k in accepted)
        errors = check_config_errors(herald_bin, tmp_path, header, rest, PROBE_VALUE)
        unknown = set(re.findall(rf"unknown key '(\w+)' in {re.escape(table)}\b", errors))
        found = [c for c in rest if c not in unknown]
        if not found:
            return set(accepted)
        accepted += found


def test_herald_toml_5_documents_every_key_the_loader_accepts_under_its_section(
        herald_bin, tmp_path):
    candidates = candidate_names()
    tables = accepted_tables(herald_bin, tmp_path, candidates)
    # The probe itself must work: a change of the loader's messages would otherwise find
    # nothing, and nothing would be missing.
    assert {"server", "listener", "transport", "dkim.key"} <= tables.keys(), tables
    page = sections(CONFIG_PAGE)
    missing = []
    for table, kind in sorted(tables.items()):
        keys = accepted_keys(herald_bin, tmp_path, table, tables, candidates)
        # A table inside this one ([[dkim.key]] in [dkim]) has a section of its own.
        keys -= {name.split(".")[-1] for name in tables if name.startswith(table + ".")}
        assert keys, f"the probe found no key of [{table}]"
        # The sections whose heading names the table, as [server] or [[listener]].
        named = re.compile(rf"\[\[?{re.escape(table)}\]\]?(?![\w.])")
        documented = set()
        for section in page:
            if named.search(section.heading):
                documented |= {n for tag in section.tags for n in names_in_tag(tag)}
        if not documented:
            missing.append(f"no section of herald.toml(5) is headed [{table}]")
        missing += [f"{table}.{key}" for key in sorted(keys - documented)]
    assert not missing, ("accepted by the loader but not in herald.toml(5) (add them to "
                         f"docs/config.md): {missing}")


# --- herald(8): every command, option and argument ----------------------------------------

def help_of(herald_bin, path):
    """(options, positionals, subcommands) of `herald help PATH`, or of `herald --help`."""
    args = [herald_bin, "help", *path] if path else [herald_bin, "--help"]
    text = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    parts = {}
    for block in re.split(r"\n(?=\w+:\n)", text):
        title, _, body = block.partition(":\n")
        parts[title.strip().splitlines()[-1]] = [
            line.split()[0] for line in body.splitlines() if re.match(r"  \S", line)]
    options = {name for names in parts.get("Options", []) for name in names.split(",")}
    return options - {"-h", "--help"}, parts.get("Positionals", []), parts.get("Subcommands", [])


def command_paths(herald_bin):
    """Every command with its help: [(["queue", "list"], options, positionals), ...]."""
    found = []
    pending = [[]]
    while pending:
        path = pending.pop()
        options, positionals, subcommands = help_of(herald_bin, path)
        found.append((path, options, positionals))
        pending += [path + [sub] for sub in subcommands]
    return found


def test_herald_8_documents_every_command_option_and_argument_of_herald_help(herald_bin):
    commands = command_paths(herald_bin)
    assert len(commands) > 20, commands  # the walk itself must have found the commands
    page = sections(COMMANDS_PAGE)
    missing = []
    for path, options, positionals in commands:
        if not path:
            # herald's own options are the global ones (-h and --help are shown there too).
            parts = [s for s in page if s.heading == "GLOBAL OPTIONS"]
            options |= {"--help"}
        else:
            command = "herald " + " ".join(path)
            parts = [s for s in page if re.match(rf"{re.escape(command)}(\s|$)", s.heading)]
            if not parts:
                missing.append(f"no section headed '{command}'")
                continue
        text = "\n".join(s.text() for s in parts)
        missing += [f"{' '.join(path) or 'herald'} {option}" for option in sorted(options)
                    if not re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", text)]
        headings = "\n".join(s.heading for s in parts)
        missing += [f"{' '.join(path)} argument {name}" for name in positionals
                    if not re.search(rf"\b{re.escape(name)}\b", headings, re.IGNORECASE)]
    assert not missing, ("in herald help but not in herald(8) (add them to docs/commands.md): "
                         f"{missing}")
