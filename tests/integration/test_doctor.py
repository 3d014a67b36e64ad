"""`herald doctor` over a real DNS server (unbound serving the test zones) and against
Herald's own listeners: a well-configured domain passes; a listed IP, a PTR that does not lead
back and a self-signed or misnamed certificate fail with the advice to fix them."""
import json
import re
import subprocess

from herald_fixture import HERALD_BIN, HOSTNAME, make_ca_and_cert

DOMAIN = "brand.test"
ZONES = ("test.", "2.0.192.in-addr.arpa.")
GOOD_IP = "192.0.2.10"
LISTED_IP = "192.0.2.20"
RECORDS = [
    f'{DOMAIN}. IN TXT "v=spf1 ip4:{GOOD_IP} ip4:{LISTED_IP} -all"',
    f'{DOMAIN}. IN MX 10 mail.{DOMAIN}.',
    f'_dmarc.{DOMAIN}. IN TXT "v=DMARC1; p=reject; rua=mailto:dmarc@{DOMAIN}"',
    f'mail.{DOMAIN}. IN A {GOOD_IP}',
    f'10.2.0.192.in-addr.arpa. IN PTR mail.{DOMAIN}.',
    # The listed address: a generic PTR name that does not resolve back, and a listing.
    f'20.2.0.192.in-addr.arpa. IN PTR host-20.isp.test.',
    f'20.2.0.192.bl.test. IN A 127.0.0.2',
    f'20.2.0.192.bl.test. IN TXT "listed for spam, see https://bl.test/20"',
    f'{HOSTNAME}. IN A 127.0.0.1',
    'other.herald.test. IN A 127.0.0.1',
]


def dkim_key(tmp_path):
    """A fresh key: (its [[dkim.key]] table, its TXT record line for the zone)."""
    out = tmp_path / "keys"
    out.mkdir()
    made = subprocess.run([HERALD_BIN, "dkim", "keygen", "--domain", DOMAIN, "--selector", "s1",
                           "--out", str(out)], capture_output=True, text=True, check=True).stdout
    name, strings = re.match(r'(\S+) IN TXT \( (.*) \)$', made.strip()).groups()
    table = {"domain": DOMAIN, "selector": "s1", "private_key": str(out / f"{DOMAIN}.s1.key")}
    return table, f"{name} IN TXT {strings}"


def doctor(h, dns, *args):
    result = h.cli("--dns", dns, "doctor", "--domain", DOMAIN, *args)
    lines = result.stdout.decode().splitlines()
    return result.returncode, {l.split(":")[0]: l for l in lines}, result


def test_a_well_configured_domain_passes_every_check(make_herald, dns_zone, tmp_path):
    key, record = dkim_key(tmp_path)
    dns = dns_zone(RECORDS + [record], zones=ZONES)
    h = make_herald(start=False, server={"hostname": f"mail.{DOMAIN}"}, **{"dkim.key": [key]})
    h.write_config()
    code, lines, result = doctor(h, dns, "--ip", GOOD_IP, "--selector", "s1", "--rbl", "bl.test")
    assert code == 0, result
    for check in ("spf", "spf-ip", "dkim", "dkim-key", "dmarc", "mx", "fcrdns", "helo", "rbl"):
        assert f"PASS {check}" in lines, (check, result.stdout.decode())
    assert "rsa key of 2048 bits" in lines["PASS dkim"]
    assert f"{GOOD_IP} -> mail.{DOMAIN} -> {GOOD_IP}" in lines["PASS fcrdns"]
    assert f"not listed on bl.test" in lines["PASS rbl"]


def test_json_gives_the_same_findings(make_herald, dns_zone):
    dns = dns_zone(RECORDS, zones=ZONES)
    h = make_herald(start=False, server={"hostname": f"mail.{DOMAIN}"})
    h.write_config()
    _, lines, _ = doctor(h, dns, "--ip", GOOD_IP, "--rbl", "bl.test")
    code, _, result = doctor(h, dns, "--ip", GOOD_IP, "--rbl", "bl.test", "--json")
    findings = json.loads(result.stdout)
    as_text = {f"{f['level']} {f['check']}: {f['detail']}" for f in findings}
    assert as_text == set(lines.values())
    assert code == 0  # warnings only: DKIM was not checked (no --selector, no key)
    assert {f["level"] for f in findings} == {"PASS", "WARN"}, findings


def test_a_listed_ip_with_a_generic_ptr_fails_with_the_lists_name(make_herald, dns_zone):
    dns = dns_zone(RECORDS, zones=ZONES)
    h = make_herald(start=False, server={"hostname": f"mail.{DOMAIN}"})
    h.write_config()
    code, lines, result = doctor(h, dns, "--ip", LISTED_IP, "--rbl", "bl.test")
    assert code == 1, result
    rbl = lines["FAIL rbl"]
    assert f"{LISTED_IP} is listed on bl.test (127.0.0.2)" in rbl, rbl
    assert "listed for spam, see https://bl.test/20" in rbl, rbl
    fcrdns = lines["FAIL fcrdns"]
    assert f"{LISTED_IP} -> host-20.isp.test, which does not resolve back" in fcrdns, fcrdns
    assert "WARN helo" in lines  # nothing confirmed to compare the HELO name with


def test_a_helo_name_other_than_the_rdns_name_fails(make_herald, dns_zone):
    dns = dns_zone(RECORDS, zones=ZONES)
    h = make_herald(start=False, server={"hostname": f"smtp.{DOMAIN}"})
    h.write_config()
    code, lines, _ = doctor(h, dns, "--ip", GOOD_IP)
    assert code == 1
    assert f'hostname = "mail.{DOMAIN}"' in lines["FAIL helo"], lines["FAIL helo"]


def test_tls_of_a_self_signed_listener_fails(make_herald, dns_zone):
    dns = dns_zone(RECORDS, zones=ZONES)
    h = make_herald()  # no [tls]: Herald generates a self-signed certificate
    code, lines, result = doctor(h, dns, "--tls", f"127.0.0.1:{h.port()}")
    assert code == 1, result
    assert lines["PASS tls"].startswith("PASS tls: TLSv1.3"), lines["PASS tls"]
    assert "(STARTTLS)" in lines["PASS tls"]
    assert "self-signed" in lines["FAIL tls-cert"], lines["FAIL tls-cert"]


def test_tls_of_a_ca_signed_listener_passes_by_name_and_fails_another_name(
        make_herald, dns_zone, tmp_path):
    ca, cert, key = make_ca_and_cert(tmp_path / "pki")
    dns = dns_zone(RECORDS, zones=ZONES)
    h = make_herald(listeners=("relay", "submissions"), tls={"cert": str(cert), "key": str(key)})
    code, lines, result = doctor(h, dns, "--tls", f"{HOSTNAME}:{h.port()}", "--ca-file", str(ca))
    assert "PASS tls" in lines and "PASS tls-name" in lines, result
    assert "issued by Herald Test CA" in lines["PASS tls-cert"], result
    # The test CA signs for two days: less than the 14 days of warning.
    assert "expires in 1 days" in lines["WARN tls-expiry"] or \
        "expires in 2 days" in lines["WARN tls-expiry"], result
    _, lines, result = doctor(h, dns, "--tls", f"smtps://other.herald.test:{h.port('submissions')}",
                              "--ca-file", str(ca))
    assert "(implicit TLS)" in lines["PASS tls"], result
    assert f"the certificate is for {HOSTNAME}, not other.herald.test" in lines["FAIL tls-name"]
    # Without the test CA, the chain is not trusted.
    _, lines, result = doctor(h, dns, "--tls", f"{HOSTNAME}:{h.port()}")
    assert "the chain does not verify" in lines["FAIL tls-cert"], result


def test_bad_arguments_are_usage_errors(make_herald):
    h = make_herald(start=False)
    h.write_config()
    for args in (["--domain", "not a domain"], ["--domain", DOMAIN, "--ip", "300.1.1.1"],
                 ["--domain", DOMAIN, "--tls", "nohostport"],
                 ["--domain", DOMAIN, "--rbl", "bad zone!"]):
        result = h.cli("doctor", *args)
        assert result.returncode == 2, (args, result)
        assert result.stderr.decode().startswith("herald doctor: "), result.stderr


def test_a_configured_key_that_is_not_published_fails_and_says_so(make_herald, dns_zone,
                                                                  tmp_path):
    key, record = dkim_key(tmp_path)  # made, but its record is not in the zone
    dns = dns_zone(RECORDS, zones=ZONES)
    h = make_herald(start=False, server={"hostname": f"mail.{DOMAIN}"}, **{"dkim.key": [key]})
    h.write_config()
    code, lines, result = doctor(h, dns, "--ip", GOOD_IP)
    assert code == 1, result
    line = lines["FAIL dkim-key"]
    assert f"nothing published at s1._domainkey.{DOMAIN}" in line, line
    assert "Herald does not sign with it until it is published" in line, line
