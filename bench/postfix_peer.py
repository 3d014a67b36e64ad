"""Postfix as the benchmark's peer: a private instance (its own config and queue directories)
on loopback, relaying everything to one relayhost (or, without one, to the recipient domains'
MX hosts); started and stopped by its config dir."""
import re
import shutil
import subprocess
from pathlib import Path

SHARED_MAIN_CF = Path(__file__).resolve().parent.parent.parent / "shared" / "bench" / "postfix-main.cf"


def _master_cf(smtpd_port):
    """The system's master.cf without chroot, smtpd on our port only."""
    lines = []
    for line in Path("/etc/postfix/master.cf").read_text().splitlines():
        fields = line.split()
        if line.startswith(("#", " ", "\t")) or len(fields) < 8:
            lines.append(line)
            continue
        if fields[0] == "smtp" and fields[1] == "inet":
            fields[0] = f"127.0.0.1:{smtpd_port}"
        fields[4] = "n"  # no chroot: the private queue is not set up for it
        lines.append("  ".join(fields))
    return "\n".join(lines) + "\n"


class PostfixPeer:
    """relay_port None: no relayhost, mail goes to the MX hosts. main_cf: more main.cf lines.
    resolv_conf: a resolv.conf for Postfix alone (its DNS server on loopback): the instance
    is started in a mount namespace of its own where that file is bound over
    /etc/resolv.conf (needs root), since the resolver Postfix uses reads no other."""

    def __init__(self, workdir, smtpd_port, relay_port, milter_port=None, main_cf="",
                 resolv_conf=None):
        self.dir = Path(workdir)
        self.config_dir = self.dir / "etc"
        self.queue_dir = self.dir / "queue"
        self.data_dir = self.dir / "data"
        self.log = self.dir / "maillog"
        for d in (self.config_dir, self.queue_dir, self.data_dir):
            d.mkdir(parents=True, exist_ok=True)
        shutil.chown(self.data_dir, "postfix", "postfix")
        main = SHARED_MAIN_CF.read_text()
        relayhost = f"[127.0.0.1]:{relay_port}" if relay_port else ""
        main = re.sub(r"relayhost = .*", f"relayhost = {relayhost}", main)
        main = re.sub(r"maillog_file = .*", f"maillog_file = {self.log}", main)
        main += (f"queue_directory = {self.queue_dir}\n"
                 f"data_directory = {self.data_dir}\n"
                 f"maillog_file_prefixes = {self.dir}\n"
                 "alias_maps =\nalias_database =\n"
                 "smtpd_client_connection_count_limit = 0\n"
                 "smtpd_client_connection_rate_limit = 0\n")
        if milter_port:
            # tempfail: were the milter unreachable, mail would wait rather than leave unsigned.
            main += (f"smtpd_milters = inet:127.0.0.1:{milter_port}\n"
                     "milter_default_action = tempfail\n")
        main += main_cf
        self.resolv_conf = resolv_conf
        (self.config_dir / "main.cf").write_text(main)
        (self.config_dir / "master.cf").write_text(_master_cf(smtpd_port))
        for name in ("dynamicmaps.cf", "postfix-files"):
            src = Path("/etc/postfix") / name
            if src.exists():
                shutil.copy(src, self.config_dir / name)
        for name in ("dynamicmaps.cf.d", "postfix-files.d"):
            src = Path("/etc/postfix") / name
            if src.exists():
                shutil.copytree(src, self.config_dir / name, dirs_exist_ok=True)

    def _postfix(self, *args):
        return subprocess.run(["postfix", "-c", str(self.config_dir), *args],
                              capture_output=True, text=True)

    def start(self):
        if self.resolv_conf:
            result = subprocess.run(
                ["unshare", "--mount", "--propagation", "private", "sh", "-c",
                 'mount --bind "$1" /etc/resolv.conf && exec postfix -c "$2" start', "sh",
                 str(self.resolv_conf), str(self.config_dir)], capture_output=True, text=True)
        else:
            result = self._postfix("start")
        if result.returncode != 0:
            # postfix reports start-up errors only on a terminal or to syslog.
            why = subprocess.run(["script", "-qc", f"postfix -c {self.config_dir} start", "/dev/null"],
                                 capture_output=True, text=True).stdout
            raise RuntimeError(f"postfix start failed: {why.strip()}")

    def stop(self):
        self._postfix("stop")

    def sent(self):
        """How many deliveries the log reports as sent."""
        if not self.log.exists():
            return 0
        return self.log.read_text(errors="replace").count("status=sent")

    def rss_kib(self):
        """Sum of VmRSS of the instance's processes (found by their config dir)."""
        total = 0
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            try:
                cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                if "postfix" not in cmdline and "smtpd" not in cmdline and "cleanup" not in cmdline \
                        and "qmgr" not in cmdline and "smtp" not in cmdline:
                    continue
                environ = (proc / "environ").read_bytes()
                status = (proc / "status").read_text()
            except OSError:
                continue
            if str(self.config_dir).encode() not in environ and str(self.config_dir) not in cmdline:
                continue
            m = re.search(r"VmRSS:\s+(\d+)", status)
            if m:
                total += int(m.group(1))
        return total
