"""DANE (RFC 7672, issue 22): Herald validates DNSSEC itself (libunbound with the zones' keys
as [dns] trust_anchor) against a real authoritative server (NSD) serving zones signed with
ldns-signzone, and delivers to real receivers (aiosmtpd). A DNSSEC-secure MX host with usable
TLSA records gets mail only over TLS whose certificate matches them; an insecure zone's TLSA
records change nothing; a bogus answer defers."""
import hashlib
import re
import subprocess

import pytest

from herald_fixture import delivery_config, make_ca_and_cert, send
from receivers import free_port_on, self_signed_cert
from signed_zones import Nsd, Zone, corrupt_signature, write_trust_anchors
from test_mta_sts import PolicyServer, issue, loopback_address, policy

SECURE = "dane.test"
INSECURE = "plain.test"


def der(cert):
    return subprocess.run(["openssl", "x509", "-in", str(cert), "-outform", "DER"],
                          check=True, capture_output=True).stdout


def spki_sha256(cert):
    """TLSA selector 1, matching type 1: the SHA-256 of the certificate's public key."""
    pem = subprocess.run(["openssl", "x509", "-in", str(cert), "-pubkey", "-noout"],
                         check=True, capture_output=True).stdout
    spki = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"], input=pem,
                          check=True, capture_output=True).stdout
    return hashlib.sha256(spki).hexdigest()


def with_chain(cert, key, ca):
    """The certificate followed by its CA's: RFC 7672 3.1.2 asks servers that DANE-TA
    records vouch for to send the trust anchor."""
    chain = cert.parent / f"{cert.stem}-chain.pem"
    chain.write_text(cert.read_text() + ca.read_text())
    return chain, key


@pytest.fixture
def dane(tmp_path, make_herald, smtp_receiver):
    """dane(tlsa=lambda certs: [...], receiver_tls="good"|"chain"|"wrong-name"|"self-signed"|None,
    ...) -> (herald, receiver). The receiver is mx.<domain>; `tlsa` gives the TLSA records'
    data ("3 1 1 <hex>") from {"good": cert, "ca": ca cert, "self-signed": cert}. More
    receiver options in `receiver_options`; more records of the domain in `zone`; more herald
    sections as keywords."""
    servers = []

    def make(tlsa, receiver_tls="good", domain=SECURE, signed=True, anchored=True,
             spoil=None, trust_anchor=True, sts_policy=None, receiver_options=None, zone=(),
             **sections):
        mx = f"mx.{domain}"
        ca, cert, key = make_ca_and_cert(tmp_path / "ca", names=(mx,))
        tls = {"good": (cert, key),
               "chain": with_chain(cert, key, ca),
               "wrong-name": with_chain(*issue(tmp_path / "ca", tmp_path / "wrong",
                                               ("other.test",)), ca),
               "self-signed": self_signed_cert(tmp_path / "self", names=(mx,)),
               None: None}[receiver_tls]
        certs = {"good": cert, "ca": ca, "self-signed": tls[0] if tls else None}
        ip = loopback_address()
        port = free_port_on([ip])
        receiver = smtp_receiver(ip, port, tls=tls, **(receiver_options or {}))
        records = ["@ MX 10 mx", f"mx A {ip}", *zone]
        records += [f"_{port}._tcp.mx TLSA {record}" for record in tlsa(certs)]
        mx_options = {}
        if sts_policy:
            policy_ip = loopback_address()
            policy_cert = issue(tmp_path / "ca", tmp_path / "sts", (f"mta-sts.{domain}",))
            servers.append(PolicyServer(policy_ip, *policy_cert, sts_policy))
            records += ['_mta-sts TXT "v=STSv1; id=1;"', f"mta-sts A {policy_ip}"]
            mx_options["tls_ca_file"] = str(ca)
        signed_zone = Zone(domain, records, signed=signed, anchor="own" if anchored else "other")
        # The sender's domain: an insecure zone, so that bounces have somewhere to go.
        sender = Zone("sender.test", ["@ MX 10 mx", f"mx A {ip}"], signed=False)
        signed_zone.write(tmp_path / "zones")
        if spoil:
            corrupt_signature(signed_zone, spoil)
        server = Nsd(tmp_path / "nsd", [signed_zone, sender]).start()
        servers.append(server)
        config = delivery_config(server.address, port, retry=("1h",), mx=mx_options)
        if trust_anchor:
            config["dns"]["trust_anchor"] = str(write_trust_anchors(tmp_path / "anchors",
                                                                    [signed_zone]))
        return make_herald(**config, **sections), receiver

    yield make
    for server in servers:
        server.stop()


def outcome_line(h, msg_id, mark, domain=SECURE):
    return h.wait_for_log(rf"^\S+ {re.escape(msg_id)} {re.escape(mark)} <?bob@{domain}>? .*$",
                          timeout=60).group(0)


def dane_ee(certs):
    return [f"3 1 1 {spki_sha256(certs['good'])}"]


def test_a_matching_dane_ee_record_authenticates_the_receiver(dane):
    # No CA Herald trusts signed the receiver's certificate: only the TLSA record vouches.
    h, receiver = dane(dane_ee)
    msg_id = send(h, "alice@sender.test", [f"bob@{SECURE}"])
    line = outcome_line(h, msg_id, "=>")
    assert re.search(r" X=TLSv1\.[23]:\S+:verified P=dane ", line), line
    assert receiver.delivered_to(f"bob@{SECURE}")
    assert f"certificate matches its TLSA records" in h.mainlog()


def test_a_dane_ta_record_vouches_for_the_ca_and_the_name_still_counts(dane):
    h, receiver = dane(lambda certs: [f"2 0 1 {hashlib.sha256(der(certs['ca'])).hexdigest()}"],
                       receiver_tls="chain")
    msg_id = send(h, "alice@sender.test", [f"bob@{SECURE}"])
    assert " P=dane " in outcome_line(h, msg_id, "=>")
    assert receiver.delivered_to(f"bob@{SECURE}")


def test_a_dane_ta_record_refuses_a_certificate_for_another_name(dane):
    h, receiver = dane(lambda certs: [f"2 0 1 {hashlib.sha256(der(certs['ca'])).hexdigest()}"],
                       receiver_tls="wrong-name")
    msg_id = send(h, "alice@sender.test", [f"bob@{SECURE}"])
    line = outcome_line(h, msg_id, "==")
    assert " P=dane " in line and "hostname mismatch" in line, line
    assert not receiver.messages()


@pytest.mark.parametrize("receiver_tls", [None, "self-signed"])
def test_an_attacker_without_the_pinned_key_gets_nothing(dane, receiver_tls):
    """STARTTLS stripped, or a certificate for the right name that the record does not pin."""
    h, receiver = dane(dane_ee, receiver_tls=receiver_tls)
    msg_id = send(h, "alice@sender.test", [f"bob@{SECURE}"])
    line = outcome_line(h, msg_id, "==")
    why = "no matching DANE TLSA records" if receiver_tls else "does not offer STARTTLS"
    assert " P=dane " in line and why in line, line
    assert not receiver.messages(), "the message went to a receiver the TLSA record does not pin"


def test_records_none_usable_still_demand_tls(dane):
    # PKIX-EE (usage 1) is not for SMTP (RFC 7672 3.1.3): TLS, but unauthenticated.
    h, receiver = dane(lambda certs: [f"1 1 1 {spki_sha256(certs['good'])}"],
                       receiver_tls="self-signed")
    msg_id = send(h, "alice@sender.test", [f"bob@{SECURE}"])
    line = outcome_line(h, msg_id, "=>")
    assert re.search(r" X=TLSv1\.[23]:\S+:unverified P=dane ", line), line

    h2, receiver2 = dane(lambda certs: [f"1 1 1 {'ab' * 32}"], receiver_tls=None)
    msg_id = send(h2, "alice@sender.test", [f"bob@{SECURE}"])
    assert " P=dane " in outcome_line(h2, msg_id, "==")
    assert not receiver2.messages()


def test_tlsa_records_of_an_insecure_zone_change_nothing(dane):
    h, receiver = dane(lambda certs: [f"3 1 1 {'ab' * 32}"], domain=INSECURE, signed=False,
                       receiver_tls=None)
    msg_id = send(h, "alice@sender.test", [f"bob@{INSECURE}"])
    line = outcome_line(h, msg_id, "=>", domain=INSECURE)
    assert " P=opportunistic " in line and " X=" not in line, line
    assert receiver.delivered_to(f"bob@{INSECURE}")


def test_without_a_trust_anchor_nothing_is_secure(dane):
    h, receiver = dane(lambda certs: [f"3 1 1 {'ab' * 32}"], receiver_tls=None,
                       trust_anchor=False)
    msg_id = send(h, "alice@sender.test", [f"bob@{SECURE}"])
    assert " P=opportunistic " in outcome_line(h, msg_id, "=>")


def test_a_bogus_tlsa_answer_defers(dane):
    h, receiver = dane(dane_ee, spoil="TLSA")
    msg_id = send(h, "alice@sender.test", [f"bob@{SECURE}"])
    line = outcome_line(h, msg_id, "==")
    assert re.search(r"451 4\.7\.5 TLSA lookup for _\d+\._tcp\.mx\.dane\.test failed: "
                     r"DNSSEC validation failed", line), line
    assert not receiver.connections()


def test_a_zone_signed_with_a_key_nobody_anchored_defers(dane):
    h, receiver = dane(dane_ee, anchored=False)
    msg_id = send(h, "alice@sender.test", [f"bob@{SECURE}"])
    line = outcome_line(h, msg_id, "==")
    assert "MX lookup for dane.test failed: DNSSEC validation failed" in line, line
    assert not receiver.connections()


def test_dane_wins_over_an_mta_sts_policy(dane):
    # RFC 8461 2: where the MX host has DANE records, DANE applies and MTA-STS does not; this
    # policy names none of the MX hosts.
    h, receiver = dane(dane_ee, sts_policy=policy("enforce", mx=("*.elsewhere.test",)))
    msg_id = send(h, "alice@sender.test", [f"bob@{SECURE}"])
    line = outcome_line(h, msg_id, "=>")
    assert " P=dane " in line, line
    assert f"MTA-STS: {SECURE} policy 1: mode enforce" in h.mainlog()


def test_a_trust_anchor_that_cannot_be_read_stops_the_start(make_herald, tmp_path):
    h = make_herald(start=False, dns={"servers": ["127.0.0.1:53"],
                                      "trust_anchor": str(tmp_path / "missing.key")})
    with pytest.raises(AssertionError, match="exited with") as failed:
        h.start()
    assert "cannot read the trust anchor file" in str(failed.value), failed.value


def test_tls_required_no_sets_dane_aside_for_that_message(dane):
    # RFC 8689 5: the sender would rather the message arrive than wait for DANE. Another
    # message to the same host still waits.
    h, receiver = dane(dane_ee, receiver_tls=None)
    data = (f"From: <alice@sender.test>\r\nTo: <bob@{SECURE}>\r\nSubject: s\r\n"
            "TLS-Required: No\r\n\r\nbody\r\n")
    msg_id = send(h, "alice@sender.test", [f"bob@{SECURE}"], data=data)
    line = outcome_line(h, msg_id, "=>")
    assert " P=opportunistic " in line, line
    assert f"{msg_id}: TLS-Required: No; the DANE and MTA-STS policies of {SECURE} are set " \
           "aside" in h.mainlog()
    other = send(h, "alice@sender.test", [f"bob@{SECURE}"])
    assert " P=dane " in outcome_line(h, other, "==")
    assert len(receiver.messages()) == 1
