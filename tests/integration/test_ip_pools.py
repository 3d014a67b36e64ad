"""IP pools (issue 17): a transport sends from several source addresses by weight; a new
address warms up under a daily cap per provider; an address that draws a block-list reply is
taken out for that provider while the others go on. Real parts: unbound serves the provider's
domains, an aiosmtpd receiver on 127.0.0.10 is its MX fleet and sees each client address."""
import collections
import json

from herald_fixture import delivery_config, send
from receivers import free_port_on

FLEET = "127.0.0.10"
ZONE = [
    "alpha.test. MX 10 mx1.fleet.bigmail.test.",
    "beta.test. MX 10 mx2.fleet.bigmail.test.",
    "mx1.fleet.bigmail.test. A 127.0.0.10",
    "mx2.fleet.bigmail.test. A 127.0.0.10",
]
BIGMAIL = {"name": "bigmail", "mx": ["*.fleet.bigmail.test"]}
BLOCKED = ("550 5.7.1 Unfortunately, messages from [127.0.0.6] weren't sent. Please contact "
           "your Internet service provider since part of their network is on our block list "
           "(S3150).")


def start(make_herald, dns_zone, pool, rules=()):
    port = free_port_on([FLEET])
    config = delivery_config(dns_zone(ZONE), port, mx={"source_pool": "out"},
                             provider=[BIGMAIL], ip_pool=[pool])
    if rules:
        config["shaping_rule"] = list(rules)
    return make_herald(**config), port


def send_many(h, count, domains=("alpha.test", "beta.test")):
    return [send(h, "alice@sender.test", [f"r{n}@{domains[n % len(domains)]}"])
            for n in range(count)]


def peers(receiver):
    return collections.Counter(m.peer for m in receiver.messages())


def status_of(h, source):
    status = json.loads(h.cli("shaping", "status", "--json").stdout)
    bigmail = next(p for p in status["providers"] if p["name"] == "bigmail")
    return next((s for s in bigmail["sources"] if s["source"] == source), None)


def test_messages_share_the_pool_by_weight(make_herald, dns_zone, smtp_receiver):
    pool = {"name": "out", "address": [{"address": "127.0.0.2", "weight": 3},
                                       {"address": "127.0.0.3", "weight": 1}]}
    h, port = start(make_herald, dns_zone, pool)
    fleet = smtp_receiver(FLEET, port)
    ids = send_many(h, 40)
    h.wait_for(lambda: all(h.completed(i) for i in ids), what="all 40 delivered")
    by_peer = peers(fleet)
    assert sum(by_peer.values()) == 40 and set(by_peer) == {"127.0.0.2", "127.0.0.3"}, by_peer
    assert by_peer["127.0.0.2"] > by_peer["127.0.0.3"], by_peer


def test_a_warming_address_sends_its_daily_cap_and_the_rest_waits(make_herald, dns_zone,
                                                                   smtp_receiver):
    pool = {"name": "out", "address": [{"address": "127.0.0.4", "warmup_start": 3,
                                        "warmup_factor": 2.0}]}
    h, port = start(make_herald, dns_zone, pool)
    fleet = smtp_receiver(FLEET, port)
    ids = send_many(h, 5)
    h.wait_for(lambda: sum(h.completed(i) for i in ids) == 3, what="three delivered")
    source = status_of(h, "127.0.0.4")
    assert source["daily_limit"] == 3 and source["warmup_day"] == 1, source
    h.wait_for(lambda: status_of(h, "127.0.0.4")["sent_today"] == 3, what="three counted")
    queued = json.loads(h.cli("queue", "list", "--json").stdout)
    assert len(queued) == 2, queued
    assert len(fleet.messages()) == 3


def test_mail_over_a_warming_address_cap_overflows_to_the_pool(make_herald, dns_zone,
                                                               smtp_receiver):
    pool = {"name": "out", "overflow": True,
            "address": [{"address": "127.0.0.4", "weight": 10, "warmup_start": 3},
                        {"address": "127.0.0.5", "weight": 1}]}
    h, port = start(make_herald, dns_zone, pool)
    fleet = smtp_receiver(FLEET, port)
    ids = send_many(h, 10)
    h.wait_for(lambda: all(h.completed(i) for i in ids), what="all 10 delivered")
    by_peer = peers(fleet)
    assert by_peer == {"127.0.0.4": 3, "127.0.0.5": 7}, by_peer


def test_an_address_on_a_block_list_is_taken_out_for_the_provider(make_herald, dns_zone,
                                                                  smtp_receiver):
    pool = {"name": "out", "overflow": True,
            "address": [{"address": "127.0.0.6", "weight": 1000},
                        {"address": "127.0.0.7", "weight": 1}]}
    rule = {"name": "bigmail-blocklist", "provider": "bigmail", "match": "block list",
            "action": "suspend", "duration": "1h"}
    h, port = start(make_herald, dns_zone, pool, rules=[rule])
    # The first attempt draws the block-list reply; the retry is taken.
    fleet = smtp_receiver(FLEET, port, replies={"first@alpha.test": [BLOCKED, 250]})
    first = send(h, "alice@sender.test", ["first@alpha.test"])
    h.wait_for(lambda: h.completed(first), what="the first message delivered")
    log = h.mainlog()
    assert 'shaping: bigmail from 127.0.0.6: suspended until' in log, log
    assert "(550 5.7.1 matched rule 'bigmail-blocklist')" in log, log
    assert " ** " not in log, "a block-list reply refuses the address, not the message"
    assert [m.peer for m in fleet.messages()] == ["127.0.0.7"]
    assert status_of(h, "127.0.0.6")["suspended_until"] is not None
    # Mail whose own address is the suspended one goes from the other meanwhile.
    later = send_many(h, 5)
    h.wait_for(lambda: all(h.completed(i) for i in later), what="five more delivered")
    assert peers(fleet) == {"127.0.0.7": 6}, peers(fleet)
