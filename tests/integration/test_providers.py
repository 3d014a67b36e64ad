"""Mailbox providers (issue 17, MX rollup): domains whose MX hosts all belong to one provider
share its connections and its connection limit, as the big providers count connections per
source IP, not per domain. A real DNS server (unbound) serves the zones; aiosmtpd receivers on
loopback addresses are the provider's MX fleet."""
import json

from herald_fixture import delivery_config, message, queued_id, send
from receivers import free_port_on

FLEET, OUTSIDE = "127.0.0.2", "127.0.0.3"
ZONE = [
    # Three customer domains of the provider "bigmail": their MX hosts are its fleet.
    "alpha.test. MX 10 mx1.fleet.bigmail.test.",
    "beta.test. MX 10 mx2.fleet.bigmail.test.",
    "gamma.test. MX 10 mx1.fleet.bigmail.test.",
    "gamma.test. MX 20 mx2.fleet.bigmail.test.",
    "mx1.fleet.bigmail.test. A 127.0.0.2",
    "mx2.fleet.bigmail.test. A 127.0.0.2",
    # A domain with one MX in the fleet and a backup of its own: not the provider's.
    "mixed.test. MX 10 mx1.fleet.bigmail.test.",
    "mixed.test. MX 20 backup.mixed.test.",
    "backup.mixed.test. A 127.0.0.3",
    "sender.test. MX 10 mx.sender.test.",
    "mx.sender.test. A 127.0.0.3",
]
BIGMAIL = {"name": "bigmail", "mx": ["*.fleet.bigmail.test"], "max_connections": 1}


def start(make_herald, dns_zone, providers=(BIGMAIL,)):
    port = free_port_on([FLEET, OUTSIDE])
    h = make_herald(**delivery_config(dns_zone(ZONE), port), provider=list(providers))
    return h, port


def deliver_one_by_one(h, recipients):
    for rcpt in recipients:
        msg_id = send(h, "alice@sender.test", [rcpt])
        h.wait_for(lambda: h.completed(msg_id), what=f"Completed for {rcpt}")


def test_domains_of_one_provider_share_its_connection(make_herald, dns_zone, smtp_receiver):
    h, port = start(make_herald, dns_zone)
    fleet = smtp_receiver(FLEET, port)
    deliver_one_by_one(h, ["a@alpha.test", "b@beta.test", "c@gamma.test"])
    assert [m.rcpt_tos for m in fleet.messages()] == [["a@alpha.test"], ["b@beta.test"],
                                                      ["c@gamma.test"]]
    # One parked connection to the provider carried all three domains' mail.
    assert fleet.connections() == 1, fleet.connections()


def test_without_the_provider_each_domain_has_its_own_connection(make_herald, dns_zone,
                                                                 smtp_receiver):
    h, port = start(make_herald, dns_zone, providers=())
    fleet = smtp_receiver(FLEET, port)
    deliver_one_by_one(h, ["a@alpha.test", "b@beta.test", "c@gamma.test"])
    assert fleet.connections() == 3, fleet.connections()


def test_a_domain_with_an_mx_outside_the_fleet_is_its_own_destination(make_herald, dns_zone,
                                                                      smtp_receiver):
    h, port = start(make_herald, dns_zone)
    fleet = smtp_receiver(FLEET, port)
    deliver_one_by_one(h, ["a@alpha.test", "m@mixed.test"])
    assert fleet.connections() == 2, "mixed.test used the provider's parked connection"


def test_the_provider_limit_holds_across_its_domains(make_herald, dns_zone, smtp_receiver):
    h, port = start(make_herald, dns_zone)
    fleet = smtp_receiver(FLEET, port, data_delay=0.2)  # keeps each connection busy a while
    domains = ["alpha.test", "beta.test", "gamma.test"]
    ids = []
    with h.smtp() as s:
        s.ehlo("client.herald.test")
        for n in range(9):
            rcpt = f"r{n}@{domains[n % 3]}"
            s.mail("alice@sender.test")
            s.rcpt(rcpt)
            code, text = s.data(message(to=rcpt))
            assert code == 250
            ids.append(queued_id(text))
    h.wait_for(lambda: all(h.completed(i) for i in ids), timeout=120, what="9 Completed")
    assert len(fleet.messages()) == 9
    # max_connections = 1 for the whole provider, though the mail went to three domains.
    assert fleet.max_concurrent_transactions() == 1


def test_a_bad_provider_is_a_config_error_with_its_line(make_herald):
    h = make_herald(start=False, provider=[
        {"name": "bigmail", "mx": ["*.fleet.bigmail.test", "not a host"]},
        {"name": "tiny", "mx": ["*.tiny.test"], "max_connections": 0},
        {"name": "nomx"}])
    result = h.cli("check-config")
    assert result.returncode == 2
    errors = result.stderr.decode()
    assert "provider.mx holds 'not a host'" in errors, errors
    assert "provider.max_connections" in errors, errors
    assert "provider.mx is required" in errors, errors
    for line in errors.strip().splitlines():
        assert line.startswith(f"{h.config_path}:") and line.split(":")[1].isdigit(), line


def test_a_builtin_provider_can_be_tuned_without_repeating_its_hosts(make_herald):
    h = make_herald(start=False, provider=[{"name": "google", "max_connections": 2}])
    assert h.cli("check-config").returncode == 0


def test_shaping_status_lists_every_provider_and_the_open_connections(make_herald, dns_zone,
                                                                      smtp_receiver):
    h, port = start(make_herald, dns_zone)
    fleet = smtp_receiver(FLEET, port)
    deliver_one_by_one(h, ["a@alpha.test"])  # its connection stays parked a while
    result = h.cli("shaping", "status", "--json")
    assert result.returncode == 0, result.stderr
    providers = {p["name"]: p for p in json.loads(result.stdout)["providers"]}
    assert {"google", "microsoft-365", "yahoo", "apple", "qq", "bigmail"} <= set(providers)
    assert providers["bigmail"]["mx"] == ["*.fleet.bigmail.test"]
    assert providers["bigmail"]["max_connections"] == 1
    assert providers["bigmail"]["connections"] == {"mx": 1}, providers["bigmail"]
    assert providers["google"]["connections"] == {}
    table = h.cli("shaping", "status").stdout.decode()
    [row] = [line for line in table.splitlines() if line.startswith("bigmail ")]
    assert "mx: 1" in row and "*.fleet.bigmail.test" in row, row
    assert fleet.connections() == 1


def test_shaping_status_without_a_server_shows_the_configured_limits(make_herald):
    h = make_herald(start=False, provider=[{"name": "google", "max_connections": 2}])
    result = h.cli("shaping", "status")
    assert result.returncode == 0, result.stderr
    out = result.stdout.decode()
    assert out.startswith("herald is not running"), out
    [row] = [line for line in out.splitlines() if line.startswith("google ")]
    assert row.split()[1] == "2", row
