"""testssl.sh (Debian's package) against the STARTTLS and the implicit-TLS listener: nothing
below TLS 1.2 is offered, and no weak cipher category (NULL, anonymous, export, LOW, 3DES)."""
import json
import subprocess

NOT_OFFERED = ["SSLv2", "SSLv3", "TLS1", "TLS1_1", "cipherlist_NULL", "cipherlist_aNULL",
               "cipherlist_EXPORT", "cipherlist_LOW", "cipherlist_3DES_IDEA"]
OFFERED = ["TLS1_2", "TLS1_3", "cipherlist_STRONG"]


def scan(target, report, starttls):
    argv = ["testssl", "--quiet", "--color", "0", "--warnings", "off", "--nodns", "none",
            "-p", "-s", "--jsonfile-pretty", str(report)]
    argv += ["--starttls", "smtp"] if starttls else []
    return subprocess.Popen(argv + [target], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def test_testssl_finds_no_old_protocol_and_no_weak_cipher(make_herald, tmp_path):
    h = make_herald(listeners=("relay", "submissions"))
    scans = {name: (tmp_path / f"{name}.json", starttls, port)
             for name, starttls, port in [("starttls", True, h.port()),
                                          ("implicit", False, h.port("submissions"))]}
    running = {name: scan(f"127.0.0.1:{port}", report, starttls)
               for name, (report, starttls, port) in scans.items()}
    for name, proc in running.items():
        output, _ = proc.communicate(timeout=600)
        report = scans[name][0]
        assert report.exists(), output.decode(errors="replace")[-2000:]
        result = json.loads(report.read_text())["scanResult"][0]
        findings = {f["id"]: f["finding"] for f in result["protocols"] + result["ciphers"]}
        for check in NOT_OFFERED:
            assert findings.get(check, "").startswith("not offered"), (name, check, findings)
        for check in OFFERED:
            assert findings.get(check, "").startswith("offered"), (name, check, findings)
