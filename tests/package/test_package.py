"""The Debian packages, the install rules and the systemd unit, as an administrator meets
them (issue 16).

- The unit keeps its `systemd-analyze security` exposure at most MAX_EXPOSURE.
- lintian finds no error in the packages (its other findings are printed, not failed).
- herald never touches /usr/sbin/sendmail; herald-sendmail is the mail-transport-agent.
- `cmake --install` with DESTDIR stages the layout and keeps an administrator's config.
- Installed with apt: the user, the directories and their modes, the enabled unit (which
  `systemd-analyze verify` accepts where it is installed), the config found without
  --config. Edited as an administrator would (a free port, a route to a receiver), Herald
  serves as user herald and delivers a message sent with swaks twice: started as the unit
  starts it (unprivileged, with the one capability it grants; and reloaded by the unit's
  ExecReload), then by hand as root. Purged, nothing of it is left but the user herald,
  which Debian keeps.

Needs root (it installs and purges packages) and what `make deb` leaves: the .debs and
.changes in BUILD_DIR, the build tree build-deb/. The machine is left as it was found: the
package is purged even when a test fails, and the user herald is removed again when it did
not exist before. Only herald is installed: herald-sendmail would replace the postfix whose
smtp-sink the other tests use.
"""
import contextlib
import grp
import os
import pwd
import re
import shlex
import signal
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BUILD_DIR = Path(os.environ.get("BUILD_DIR") or REPO / "build")
sys.path.insert(0, str(REPO / "tests" / "integration"))
from herald_fixture import wait_for  # noqa: E402
from receivers import SmtpReceiver, free_port_on  # noqa: E402

UNIT_SOURCE = REPO / "packaging" / "herald.service"
CONFIG_SOURCE = REPO / "packaging" / "herald.toml"
UNIT = Path("/lib/systemd/system/herald.service")
UNIT_ENABLED = Path("/etc/systemd/system/multi-user.target.wants/herald.service")
CONFIG = Path("/etc/herald/herald.toml")
SPOOL = Path("/var/spool/herald")
LOGS = Path("/var/log/herald")
HERALD = "/usr/sbin/herald"

# systemd-analyze security rates herald.service 1.5 ("OK"; systemd 252, Debian 12), offline
# and so the same on every run. These are the checks it still fails, each on purpose; any
# other one failing means a hardening setting was lost, even one too light to move the
# rounded score (LockPersonality, MemoryDenyWriteExecute, UMask...).
MAX_EXPOSURE = 1.5
ACCEPTED_EXPOSURES = {
    "PrivateNetwork=": "an MTA talks to the whole internet",
    "IPAddressDeny=": "an MTA talks to the whole internet",
    "RestrictAddressFamilies=~AF_(INET|INET6)": "SMTP, DNS and HTTP",
    "RestrictAddressFamilies=~AF_UNIX": "the control and sendmail sockets, sd_notify",
    "AmbientCapabilities=": "CAP_NET_BIND_SERVICE, to bind port 25 as user herald",
    "CapabilityBoundingSet=~CAP_NET_(BIND_SERVICE|BROADCAST|RAW)": "the same capability",
    "PrivateUsers=": "a user namespace would void that capability on the host's ports",
    "ProtectHome=": "read-only, not hidden: a drop-in may open it to maildir delivery",
    "DeviceAllow=": "char-rtc, read-only: what ProtectClock itself allows",
    "RootDirectory=/RootImage=": "Herald runs on the host's libraries and CA certificates",
}

APT_ENV = dict(os.environ, DEBIAN_FRONTEND="noninteractive")


def run(argv, **kwargs):
    """argv's CompletedProcess, text output captured; check=False unless asked."""
    return subprocess.run(argv, capture_output=True, text=True, **kwargs)


def package_version():
    return run(["dpkg-parsechangelog", "-S", "Version"], cwd=REPO, check=True).stdout.strip()


def build_output(name, arch=None, suffix="deb"):
    """build/<name>_<version>_<arch>.<suffix>, as make deb leaves it."""
    arch = arch or run(["dpkg", "--print-architecture"], check=True).stdout.strip()
    path = BUILD_DIR / f"{name}_{package_version()}_{arch}.{suffix}"
    assert path.is_file(), f"no {path}: run `make deb` first"
    return path


def package_status(package):
    """dpkg's status line for package; "" when dpkg knows nothing of it."""
    return run(["dpkg-query", "-W", "-f=${Status}", package]).stdout


def installed(package):
    return package_status(package) == "install ok installed"


def account_exists(name):
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def group_exists(name):
    try:
        grp.getgrnam(name)
        return True
    except KeyError:
        return False


def accepts_connections(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def free_privileged_port():
    """A port below 1024 free on 127.0.0.1: binding it needs root, so serving on it shows that
    Herald bound its listeners before it became herald."""
    for port in range(700, 1000):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    raise AssertionError("no port free between 700 and 1000 on 127.0.0.1")


def ids_of(pid):
    """{task id: (uids, gids, groups)} of every thread of pid, from /proc/<pid>/task/*/status.
    A thread that ends between the listing and the reading (the queue's loader does, early)
    is left out."""
    out = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            status = (task / "status").read_text()
        except (FileNotFoundError, ProcessLookupError):
            continue
        fields = {}
        for line in status.splitlines():
            key, _, value = line.partition(":")
            fields[key] = value.split()
        out[task.name] = (fields["Uid"], fields["Gid"], fields["Groups"])
    return out


def owner_and_mode(path):
    st = os.stat(path)
    return pwd.getpwuid(st.st_uid).pw_name, grp.getgrgid(st.st_gid).gr_name, \
        stat.S_IMODE(st.st_mode)


# -- the unit and the packages, before anything is installed -------------------------------

def test_package_version_is_the_cmake_project_version():
    cmake = (REPO / "CMakeLists.txt").read_text()
    version = re.search(r"project\(herald VERSION (\S+)", cmake).group(1)
    assert package_version() == version, \
        "debian/changelog and CMakeLists.txt name different versions: add a changelog entry"


def test_unit_exposure_stays_low():
    result = run(["systemd-analyze", "security", "--offline=true", str(UNIT_SOURCE)])
    assert result.returncode == 0, result.stdout + result.stderr
    match = re.search(r"Overall exposure level for herald\.service: (\d+\.\d+) ", result.stdout)
    assert match, f"no exposure level in:\n{result.stdout}"
    exposure = float(match.group(1))
    assert exposure <= MAX_EXPOSURE, (
        f"herald.service's exposure rose to {exposure} (at most {MAX_EXPOSURE}): a hardening "
        f"setting was lost\n{result.stdout}")
    failed = {line.split()[1] for line in result.stdout.splitlines() if line.startswith("✗ ")}
    assert failed - ACCEPTED_EXPOSURES.keys() == set(), result.stdout


def test_lintian_finds_no_error(capsys):
    # The .changes names both packages and the .buildinfo: lintian checks them all.
    changes = build_output("herald", suffix="changes")
    result = run(["lintian", "--display-info", str(changes)])
    tags = [line for line in result.stdout.splitlines() if re.match(r"[EWIXPO]: ", line)]
    with capsys.disabled():
        for line in tags:
            print(f"\nlintian: {line}", end="")
        print()
    errors = [line for line in tags if line.startswith("E: ")]
    assert not errors, "lintian errors:\n" + "\n".join(errors)
    # lintian exits non-zero for errors (checked above) or when it could not run at all.
    assert result.returncode == 0, result.stdout + result.stderr


def test_herald_leaves_sendmail_alone_and_herald_sendmail_provides_it():
    herald = build_output("herald")
    sendmail = build_output("herald-sendmail", arch="all")
    herald_files = run(["dpkg-deb", "--contents", str(herald)], check=True).stdout
    assert "/sendmail" not in herald_files
    herald_fields = run(["dpkg-deb", "--field", str(herald)], check=True).stdout
    assert "mail-transport-agent" not in herald_fields, \
        "installing herald would remove the system's MTA (postfix here)"

    fields = run(["dpkg-deb", "--field", str(sendmail), "Provides", "Conflicts", "Replaces"],
                 check=True).stdout
    for field in ("Provides", "Conflicts", "Replaces"):
        assert f"{field}: mail-transport-agent" in fields
    links = run(["dpkg-deb", "--contents", str(sendmail)], check=True).stdout
    assert re.search(r"\./usr/sbin/sendmail -> herald$", links, re.M), links
    assert re.search(r"\./usr/lib/sendmail -> \.\./sbin/sendmail$", links, re.M), links
    # mailq(1) is the same binary too: it lists the queue (herald queue list).
    assert re.search(r"\./usr/bin/mailq -> \.\./sbin/herald$", links, re.M), links


def test_cmake_install_stages_the_layout_and_keeps_an_edited_config(tmp_path):
    # build-deb/ is the tree make deb built the package from (debian/rules).
    stage = tmp_path / "stage"
    env = dict(os.environ, DESTDIR=str(stage))
    result = run(["cmake", "--install", str(REPO / "build-deb")], env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    for path in (HERALD, str(UNIT), "/usr/share/man/man8/herald.8",
                 "/usr/share/man/man5/herald.toml.5"):
        assert (stage / path.lstrip("/")).is_file(), f"{path} is not installed"
    for path in (SPOOL, LOGS):
        assert (stage / str(path).lstrip("/")).is_dir(), f"{path} is not created"
    config = stage / str(CONFIG).lstrip("/")
    assert config.read_bytes() == CONFIG_SOURCE.read_bytes()
    assert stat.S_IMODE(config.stat().st_mode) == 0o640

    # Installed again over an administrator's edits: they stay, the new default goes beside.
    config.write_text("# edited\n")
    result = run(["cmake", "--install", str(REPO / "build-deb")], env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert config.read_text() == "# edited\n"
    assert config.with_name("herald.toml.dist").read_bytes() == CONFIG_SOURCE.read_bytes()


# -- installed, serving, purged -------------------------------------------------------------

@pytest.fixture(scope="module")
def machine():
    """What the machine had before herald was installed; the package is purged afterwards,
    whatever happened, and the user herald removed when the test created it."""
    if os.geteuid() != 0:
        pytest.fail("the package tests install packages: run them as root")
    if installed("herald") or installed("herald-sendmail"):
        pytest.fail("herald is installed on this machine: the install test would purge it")
    before = {"user": account_exists("herald"), "group": group_exists("herald"),
              "postfix": installed("postfix")}
    yield before
    if installed("herald"):
        run(["apt-get", "purge", "-y", "-q", "herald"], env=APT_ENV)
    if not before["user"] and account_exists("herald"):
        run(["userdel", "herald"])
    if not before["group"] and group_exists("herald"):
        run(["groupdel", "herald"])


def test_install_serve_as_herald_and_purge(machine, tmp_path):
    deb = build_output("herald")
    result = run(["apt-get", "install", "-y", "-q", "--no-install-recommends", str(deb)],
                 env=APT_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert installed("herald")
    shipped = run(["dpkg", "-L", "herald"], check=True).stdout.split()

    check_installed_layout(shipped)
    check_unit_where_installed()
    check_config_found_without_option()
    if Path("/run/systemd/system").is_dir():
        # Where systemd runs, postinst started the unit (as herald, in its sandbox): it must
        # be up. It is stopped so that the Herald below is the only one on the spool.
        assert run(["systemctl", "is-active", "herald"]).stdout.strip() == "active"
        run(["systemctl", "stop", "herald"], check=True)
    serve_deliver_and_reload(tmp_path)

    result = run(["apt-get", "purge", "-y", "-q", "herald"], env=APT_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    check_nothing_left(shipped)
    # Debian policy: the system user stays; it owned files that must not go to a new uid.
    assert account_exists("herald")
    if machine["postfix"]:
        assert installed("postfix"), "installing or purging herald removed postfix"


def check_installed_layout(shipped):
    for path in (HERALD, str(CONFIG), str(UNIT), str(SPOOL), str(LOGS),
                 "/usr/share/man/man8/herald.8.gz", "/usr/share/man/man5/herald.toml.5.gz"):
        assert path in shipped, f"{path} is not in the package"
    account = pwd.getpwnam("herald")
    assert account.pw_uid < 1000, "herald is not a system user"
    assert grp.getgrgid(account.pw_gid).gr_name == "herald"
    assert account.pw_dir == str(SPOOL)
    assert account.pw_shell in ("/usr/sbin/nologin", "/bin/false")
    assert owner_and_mode(SPOOL) == ("herald", "herald", 0o711)
    assert owner_and_mode(LOGS) == ("herald", "adm", 0o750)
    assert owner_and_mode(CONFIG) == ("root", "herald", 0o640)
    assert CONFIG.read_bytes() == CONFIG_SOURCE.read_bytes()
    # The unit scored by test_unit_exposure_stays_low is the one shipped, enabled at install.
    assert UNIT.read_bytes() == UNIT_SOURCE.read_bytes()
    assert os.readlink(UNIT_ENABLED) == str(UNIT)
    version = run([HERALD, "--version"], check=True).stdout
    assert version.startswith(f"herald {package_version()}"), version


def check_unit_where_installed():
    # Where the unit's ExecStart, ExecReload and man pages (Documentation=) really are.
    result = run(["systemd-analyze", "verify", str(UNIT)])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "herald" not in result.stderr, result.stderr


def check_config_found_without_option():
    # Installed, every command reads /etc/herald/herald.toml by itself, from any directory.
    result = run([HERALD, "check-config"], cwd="/")
    assert result.returncode == 0, result.stdout + result.stderr
    assert str(CONFIG) in result.stdout


def edit_config(port, receiver_port, dns_port):
    """The shipped config, edited as an administrator would: where to listen, where mail goes.
    Every replaced line must be there exactly once, as shipped."""
    text = CONFIG.read_text()
    edits = {
        'address = "127.0.0.1:25"': f'address = "127.0.0.1:{port}"',
        'sender = "*"\ntransport = "discard"': 'sender = "*"\ntransport = "receiver"',
    }
    for old, new in edits.items():
        assert text.count(old) == 1, f"the shipped config has no single {old!r}"
        text = text.replace(old, new)
    text += f"""
[[transport]]
name = "receiver"
type = "smtp"
host = "127.0.0.1"
port = {receiver_port}
tls = "none"

# Nothing leaves loopback: no preflight lookups, and DNS to a port where none answers.
[preflight]
mode = "off"

[dns]
servers = ["127.0.0.1:{dns_port}"]
"""
    # Written in place: the file keeps its owner and mode (root:herald 0640).
    with open(CONFIG, "w") as f:
        f.write(text)
    result = run([HERALD, "check-config"], cwd="/")
    assert result.returncode == 0, result.stdout + result.stderr


def unit_command(key):
    """The argv of the installed unit's ExecStart= or ExecReload=."""
    for line in UNIT.read_text().splitlines():
        if line.startswith(f"{key}="):
            return shlex.split(line[len(key) + 1:])
    raise AssertionError(f"{UNIT} has no {key}=")


# What systemd does for the unit's User=, Group=, AmbientCapabilities=,
# CapabilityBoundingSet= and NoNewPrivileges=, where no systemd runs to do it.
AS_THE_UNIT = ["setpriv", "--reuid=herald", "--regid=herald", "--init-groups",
               "--inh-caps=-all,+net_bind_service", "--ambient-caps=-all,+net_bind_service",
               "--bounding-set=-all,+net_bind_service", "--no-new-privs", "--"]


def serve_deliver_and_reload(tmp_path):
    receiver = SmtpReceiver(tmp_path / "receiver").start()
    port = free_privileged_port()
    edit_config(port, receiver.port, free_port_on(["127.0.0.1"]))
    try:
        # As systemd starts the unit: unprivileged from the start, port 25-style binding by
        # the one capability the unit grants; the unit's ExecReload, as herald too.
        with serving(AS_THE_UNIT + unit_command("ExecStart"), port, tmp_path / "unit.out"):
            send_and_receive(port, receiver, "as the unit starts it")
            reloaded = run(AS_THE_UNIT + unit_command("ExecReload"), cwd="/")
            assert reloaded.returncode == 0, reloaded.stdout + reloaded.stderr
        # As an administrator starts it by hand, as root: it binds, then becomes herald.
        with serving(unit_command("ExecStart"), port, tmp_path / "root.out"):
            send_and_receive(port, receiver, "started as root")
            sendmail_as_a_local_user(receiver, "from www-data's mail()")
    finally:
        receiver.stop()


@contextlib.contextmanager
def serving(argv, port, output):
    """Herald started with argv, listening on port, running as herald in every thread; stopped
    with SIGTERM at the end, when it must exit 0."""
    with open(output, "wb") as out:
        herald = subprocess.Popen(argv, cwd="/", stdin=subprocess.DEVNULL, stdout=out,
                                  stderr=out)
    try:
        wait_for(lambda: herald.poll() is not None or accepts_connections(port),
                 what=f"herald to listen on 127.0.0.1:{port}")
        assert herald.poll() is None, f"{argv} exited:\n{output.read_text()}"
        account = pwd.getpwnam("herald")
        uid, gid = str(account.pw_uid), str(account.pw_gid)
        # Started as root, Herald listens a moment before it drops root: wait for the drop.
        wait_for(lambda: herald.poll() is not None or all(
            uids == [uid] * 4 for uids, _, _ in ids_of(herald.pid).values()),
            what="every thread of herald to run as herald")
        for task, (uids, gids, groups) in ids_of(herald.pid).items():
            # real, effective, saved and file-system ids: none of them root.
            assert uids == [uid] * 4, f"thread {task} runs with uids {uids}"
            assert gids == [gid] * 4, f"thread {task} runs with gids {gids}"
            assert "0" not in groups, f"thread {task} keeps group root: {groups}"
        yield herald
        assert herald.poll() is None, f"herald exited:\n{output.read_text()}"
        herald.send_signal(signal.SIGTERM)
        assert herald.wait(timeout=30) == 0, output.read_text()
    finally:
        if herald.poll() is None:
            herald.kill()
            herald.wait()


def files_under(*tops):
    """Every directory and file under tops. The spool is live: a message's files go as its
    delivery completes, so what vanishes during the walk is skipped (os.walk ignores a
    directory it can no longer list; the caller skips a file gone before its lstat)."""
    for top in tops:
        yield top
        for directory, subdirectories, files in os.walk(top):
            for name in subdirectories + files:
                yield Path(directory) / name


def send_and_receive(port, receiver, subject):
    sent = run(["swaks", "--server", f"127.0.0.1:{port}", "--from", "app@example.com",
                "--to", "someone@example.net", "--header", f"Subject: {subject}",
                "--body", "sent through the package"], timeout=60)
    assert sent.returncode == 0, sent.stdout + sent.stderr
    queued = re.search(r"queued as (\S+)", sent.stdout)
    assert queued, sent.stdout
    delivered = wait_for(
        lambda: [m for m in receiver.delivered_to("someone@example.net")
                 if m.parsed()["Subject"] == subject], what=f"'{subject}' at the receiver")
    assert delivered[0].mail_from == "app@example.com"
    # What Herald created (mainlog, control socket, TLS certificate...) is herald's.
    account = pwd.getpwnam("herald")
    for path in files_under(SPOOL, LOGS):
        try:
            owner = path.lstat().st_uid
        except FileNotFoundError:
            continue
        assert owner == account.pw_uid, f"{path} is not herald's"
    assert queued.group(1) in (LOGS / "mainlog").read_text()


def sendmail_as_a_local_user(receiver, subject):
    """A user without rights on the spool or the config (0640), from another directory, as
    PHP's mail() calls it: /usr/sbin/herald sendmail finds the running server by itself."""
    nobody = pwd.getpwnam("nobody")
    result = run(["setpriv", f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}",
                  "--clear-groups", "/usr/sbin/herald", "sendmail", "-f", "app@example.com",
                  "someone@example.net"], input=f"Subject: {subject}\n\nhello\n", cwd="/",
                 timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    wait_for(lambda: [m for m in receiver.delivered_to("someone@example.net")
                      if m.parsed()["Subject"] == subject], what=f"'{subject}' at the receiver")


def check_nothing_left(shipped):
    # Not "deinstall ok config-files": purged, dpkg keeps nothing of it.
    assert package_status("herald") in ("", "unknown ok not-installed", "purge ok not-installed")
    # Every file of the package, and every directory of its own (named herald).
    left = [p for p in shipped
            if os.path.lexists(p) and (not os.path.isdir(p) or "herald" in Path(p).name)]
    assert not left, f"left after purge: {left}"
    for path in (CONFIG.parent, SPOOL, LOGS, UNIT, UNIT_ENABLED):
        assert not os.path.lexists(path), f"{path} is left after purge"
    assert not list(Path("/var/lib/dpkg/info").glob("herald.*"))
    # deb-systemd-helper's record of the enabled unit goes with the purge too.
    assert not list(Path("/var/lib/systemd").glob("deb-systemd-helper-*/**/herald.service*"))
