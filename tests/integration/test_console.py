"""The operator's web console (docs/console.md) in a real headless Chromium, against a Herald
that delivers to aiosmtpd receivers found through a real DNS server: some mail delivered, some
deferred (so the queue has entries), some bounced. Every page is loaded and must show what the
API holds; every action is clicked and its effect checked through the API; the browser's
console must show no error after any page. A screenshot of each page is kept in
build/console-screenshots/ for CI."""
import json
import re
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from browser import browser  # noqa: F401 (a fixture)
from herald_fixture import HERALD_BIN, REPO, delivery_config, message, send
from receivers import free_port_on

TOKEN = "console-token-0123456789abcdef"
MX, SENDER_MX = "127.0.0.2", "127.0.0.3"
BRAND = "brand.test"
SENDER = f"alice@{BRAND}"
ZONE = [
    "one.test. MX 10 mx.one.test.",
    "mx.one.test. A 127.0.0.2",
    "two.test. MX 10 mx.two.test.",
    "mx.two.test. A 127.0.0.2",
    f"{BRAND}. MX 10 mx.{BRAND}.",
    f"mx.{BRAND}. A 127.0.0.3",
    f'{BRAND}. TXT "v=spf1 ip4:127.0.0.1 -all"',
    f'_dmarc.{BRAND}. TXT "v=DMARC1; p=reject"',
]
# Deferred at every attempt (retried in an hour: they stay queued), refused for good, or taken.
SLOW, SLOW_TWO, GONE = "slow@one.test", "slow@two.test", "gone@one.test"
SCREENSHOTS = REPO / "build" / "console-screenshots"
PAGES = ("overview", "queue", "transports", "dkim", "doctor", "summary", "bounces")


def keygen(tmp_path, domain, selector):
    """A new key: (its [[dkim.key]] table, its TXT record for the zone)."""
    out = tmp_path / "keys"
    out.mkdir(exist_ok=True)
    made = subprocess.run([HERALD_BIN, "dkim", "keygen", "--domain", domain, "--selector",
                           selector, "--out", str(out)], capture_output=True, text=True,
                          check=True).stdout
    name, strings = re.match(r'(\S+) IN TXT \( (.*) \)$', made.strip()).groups()
    table = {"domain": domain, "selector": selector,
             "private_key": str(out / f"{domain}.{selector}.key")}
    return table, f"{name} IN TXT {strings}"


class Console:
    """A Herald with mail in every state, its admin API, and the browser on its console."""

    def __init__(self, make_herald, dns_zone, smtp_receiver, tmp_path, driver):
        published, record = keygen(tmp_path, BRAND, "s1")
        # A key whose record was never published: the page must say so.
        self.unpublished, _ = keygen(tmp_path, "other.test", "s2")
        self.unpublished["require_dns_match"] = False
        port = free_port_on([MX, SENDER_MX])
        self.mx = smtp_receiver(MX, port, replies={SLOW: [451], SLOW_TWO: [451], GONE: [550]})
        self.senders_mx = smtp_receiver(SENDER_MX, port)
        self.port = free_port_on(["127.0.0.1"])
        self.h = make_herald(**delivery_config(
            dns_zone(ZONE + [record]), port,
            admin={"http": f"127.0.0.1:{self.port}", "token": TOKEN},
            **{"dkim.key": [published, self.unpublished]}))
        self.driver = driver

    # -- mail and the API -----------------------------------------------------------------

    def send(self, recipients, sender=SENDER, subject="test"):
        return send(self.h, sender, recipients,
                    message(subject=subject, sender=sender, to=recipients[0]))

    def deferred(self, count, recipient=SLOW, sender=SENDER):
        """`count` messages that stay queued; their ids, once each was tried."""
        ids = [self.send([recipient], sender=sender) for _ in range(count)]
        for msg_id in ids:
            self.h.wait_for(lambda: self.h.events(msg_id, "=="), what=f"{msg_id} deferred")
        return ids

    def call(self, path, method="GET", body=None):
        """(status, parsed JSON or None)."""
        data = json.dumps(body).encode() if body is not None else (b"" if method == "POST"
                                                                    else None)
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=data,
                                         method=method)
        request.add_header("Authorization", f"Bearer {TOKEN}")
        if body is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                text = response.read()
                return response.status, json.loads(text) if text else None
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")

    def queued(self):
        """{id: entry} of GET /api/queue."""
        status, entries = self.call("/api/queue")
        assert status == 200, entries
        return {e["id"]: e for e in entries}

    # -- the browser ----------------------------------------------------------------------

    def open(self, page="overview"):
        from selenium.webdriver.common.by import By
        self.driver.get(f"http://127.0.0.1:{self.port}/#{page}")
        self.find(By.ID, "token").send_keys(TOKEN)
        self.find(By.ID, "save").click()
        self.wait_status_clear()

    def find(self, by, what):
        return self.driver.find_element(by, what)

    def by_id(self, element_id):
        from selenium.webdriver.common.by import By
        return self.driver.find_element(By.ID, element_id)

    def click(self, locate, what):
        """Clicks what locate() finds; found again if the page's refresh of its table
        replaced it between the finding and the click."""
        from selenium.common.exceptions import StaleElementReferenceException

        def clicked():
            try:
                locate().click()
                return True
            except StaleElementReferenceException:
                return False
        self.wait(clicked, f"a click on {what}")

    def wait(self, predicate, what, timeout=30):
        from selenium.common.exceptions import TimeoutException
        from selenium.webdriver.support.ui import WebDriverWait
        try:
            return WebDriverWait(self.driver, timeout, poll_frequency=0.2).until(
                lambda _: predicate())
        except TimeoutException:
            raise AssertionError(f"{what}; status line: {self.by_id('status').text!r}")

    def wait_text(self, element_id, text, timeout=30):
        return self.wait(lambda: text in self.by_id(element_id).text,
                         f"{text!r} in #{element_id}", timeout)

    def wait_status_clear(self):
        self.wait(lambda: self.by_id("status").get_attribute("class") != "error",
                  "no error on the status line")

    def go(self, page):
        self.driver.execute_script("location.hash = arguments[0]", page)
        self.wait(lambda: self.by_id(f"page-{page.split('/')[0]}").is_displayed(),
                  f"page {page} shown")

    def click_nav(self, name):
        from selenium.webdriver.common.by import By
        self.driver.find_element(By.CSS_SELECTOR, f'#nav a[href="#{name}"]').click()
        self.wait(lambda: self.by_id(f"page-{name}").is_displayed(), f"page {name} shown")

    def confirm(self):
        """Presses Confirm in the page's confirmation dialog."""
        self.wait(lambda: self.by_id("confirm").is_displayed(), "the confirmation dialog")
        self.by_id("confirm-ok").click()

    def status_ok(self, text):
        self.wait(lambda: text in self.by_id("status").text, f"{text!r} on the status line")
        assert self.by_id("status").get_attribute("class") == "ok", self.by_id("status").text

    def no_script_errors(self, page):
        """The browser's console since the last call: nothing SEVERE."""
        severe = [e for e in self.driver.get_log("browser") if e["level"] == "SEVERE"]
        assert not severe, f"JavaScript errors on {page}: {severe}"

    def screenshot(self, name):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.driver.save_screenshot(str(SCREENSHOTS / f"{name}.png"))

    def rows(self, tbody_id):
        """The cells' text of a table body, read at one instant (the page refreshes it)."""
        return self.driver.execute_script(
            "return [...document.getElementById(arguments[0]).rows]"
            ".map((r) => [...r.cells].map((c) => c.innerText.trim()))", tbody_id)

    def button(self, container_id, text):
        from selenium.webdriver.common.by import By
        [b] = [b for b in self.by_id(container_id).find_elements(By.TAG_NAME, "button")
               if b.text == text]
        return b


@pytest.fixture
def console(make_herald, dns_zone, smtp_receiver, tmp_path, browser):  # noqa: F811
    return Console(make_herald, dns_zone, smtp_receiver, tmp_path, browser)


def test_every_page_shows_what_the_server_holds_without_a_script_error(console):
    from selenium.webdriver.common.by import By
    c = console
    delivered = c.send(["ann@one.test"])
    bounced = c.send([GONE])
    [queued] = c.deferred(1)
    c.h.wait_for(lambda: c.h.completed(delivered) and c.h.completed(bounced),
                 what="the delivered and the bounced message done")

    c.open("overview")
    # The graph: received, delivered, deferred and bounced per minute, with points.
    c.wait(lambda: int(c.find(By.CSS_SELECTOR, 'polyline[data-series="received"]')
                       .get_attribute("data-sum")) >= 3, "the received series counts the mail")
    sums = {p.get_attribute("data-series"): int(p.get_attribute("data-sum"))
            for p in c.driver.find_elements(By.CSS_SELECTOR, "#graph polyline")}
    assert sums["delivered"] >= 1 and sums["deferred"] >= 1 and sums["bounced"] >= 1, sums
    points = c.find(By.CSS_SELECTOR, 'polyline[data-series="received"]').get_attribute("points")
    assert len(points.split()) == 360, points[:200]
    assert "received" in c.by_id("graph-caption").text
    tiles = {t.get_attribute("data-metric"): t.text for t in
             c.driver.find_elements(By.CSS_SELECTOR, "#metrics .metric")}
    assert tiles["herald_messages_received_total"].startswith("3"), tiles
    c.no_script_errors("overview")
    c.screenshot("overview")

    c.click_nav("queue")
    c.wait_text("queue-rows", queued)
    [row] = c.rows("queue-rows")
    assert row[0] == queued and f"<{SENDER}>" in row[2], row
    assert "451" in row[5], row
    # Times are human, with the exact time in the title.
    age = c.find(By.CSS_SELECTOR, "#queue-rows time")
    assert re.fullmatch(r"\d+ (s|min)", age.text), age.text
    assert re.match(r"\d{4}-\d\d-\d\dT", age.get_attribute("title")), age.get_attribute("title")
    c.no_script_errors("queue")
    c.screenshot("queue")
    c.by_id("view-destinations").click()
    c.wait_text("census", "one.test")
    [domain] = [r for r in c.rows("census") if r[0] == "one.test"]
    assert domain[1:3] == ["1", "1"], domain
    c.screenshot("queue-by-destination")
    c.by_id("view-transports").click()
    c.wait(lambda: any(r[0] == "mx" and r[1] == "1" for r in c.rows("census")), "mx in census")
    c.no_script_errors("queue by destination and transport")
    c.screenshot("queue-by-transport")
    c.by_id("view-messages").click()
    c.wait_text("queue-rows", queued)

    # The message's page, reached by clicking its id.
    c.click(lambda: c.find(By.LINK_TEXT, queued), f"the link {queued}")
    c.wait_text("message-recipients", SLOW)
    assert c.by_id("message-id").text == queued
    [recipient] = c.rows("message-recipients")
    assert recipient[1] == "pending" and "451" in recipient[2], recipient
    assert "127.0.0.2" in recipient[3], recipient
    assert "Subject: test" in c.by_id("message-headers").text
    assert f"<{SENDER}>" in c.by_id("message-facts").text
    assert "127.0.0.1" in c.by_id("message-envelope").text
    trail = c.rows("message-trail")
    assert any(f"{queued} <=" in r[2] for r in trail), trail
    assert any(f"{queued} ==" in r[2] for r in trail), trail
    events = c.rows("message-events")
    assert {"received", "deferred"} <= {e[1] for e in events}, events
    c.no_script_errors("message")
    c.screenshot("message")

    c.click_nav("transports")
    c.wait(lambda: any(r[0] == "mx" for r in c.rows("transport-rows")), "the mx transport")
    [mx] = [r for r in c.rows("transport-rows") if r[0] == "mx"]
    assert mx[1] == "smtp" and int(mx[3]) >= 2 and int(mx[4]) >= 1 and int(mx[5]) >= 1, mx
    assert mx[6] == "1", mx
    assert c.rows("routes") == [["*", "mx"]]
    c.wait(lambda: any(r[0] == "google" for r in c.rows("shaping")), "the built-in providers")
    c.no_script_errors("transports")
    c.screenshot("transports")

    c.click_nav("dkim")
    c.wait_text("dkim-keys", f"s1._domainkey.{BRAND}")
    keys = c.driver.find_elements(By.CSS_SELECTOR, "#dkim-keys section")
    assert len(keys) == 2
    published, unpublished = keys[0].text, keys[1].text
    assert "PASS" in published and "Herald signs with it" in published, published
    assert "v=DKIM1; k=rsa; p=" in published and "IN TXT" in published, published
    assert "WARN" in unpublished and "nothing published at s2._domainkey.other.test" in unpublished
    c.no_script_errors("dkim")
    c.screenshot("dkim")

    c.click_nav("doctor")
    c.button("doctor-domain-buttons", BRAND).click()
    c.wait_text("doctor-caption", f"{BRAND}:")
    findings = {r[1]: r[0] for r in c.rows("doctor-rows")}
    assert findings.get("dkim-key") == "PASS" and findings.get("spf") == "PASS", findings
    assert {"dmarc", "mx"} <= set(findings), findings
    c.no_script_errors("doctor")
    c.screenshot("doctor")

    c.click_nav("summary")
    c.wait_text("summary-tables", SENDER)
    assert re.match(r"\d+ messages to \d+ recipients", c.by_id("summary-total").text)
    c.by_id("trace-q").send_keys(bounced)
    c.by_id("trace-run").click()
    c.wait_text("trace", f"{bounced} **")
    c.no_script_errors("summary")
    c.screenshot("summary")

    c.click_nav("bounces")
    c.wait_text("bounce-rows", GONE)
    [bounce] = [r for r in c.rows("bounce-rows") if r[2] == GONE]
    assert bounce[1] == "bounced" and "550" in bounce[4], bounce
    c.no_script_errors("bounces")
    c.screenshot("bounces")


def test_each_action_on_a_message_changes_the_queue(console):
    c = console
    ids = c.deferred(3)
    c.open(f"message/{ids[0]}")
    c.wait_text("message-recipients", SLOW)

    c.button("message-actions", "hold").click()
    c.status_ok("held")
    assert c.queued()[ids[0]]["held"] is True
    c.wait(lambda: c.button("message-actions", "release"), "a release button once held")
    c.button("message-actions", "release").click()
    c.status_ok("released")
    assert c.queued()[ids[0]]["held"] is False

    attempts = c.queued()[ids[0]]["attempts"]
    c.wait(lambda: c.button("message-actions", "flush"), "the flush button")
    c.button("message-actions", "flush").click()
    c.status_ok(ids[0])
    c.h.wait_for(lambda: c.queued()[ids[0]]["attempts"] > attempts, what="tried again")

    c.button("message-actions", "bounce").click()
    c.confirm()
    c.status_ok(ids[0])
    c.h.wait_for(lambda: ids[0] not in c.queued(), what="bounced out of the queue")
    c.wait(lambda: c.by_id("page-queue").is_displayed(), "back on the queue")

    c.go(f"message/{ids[1]}")
    c.wait_text("message-recipients", SLOW)
    # Cancelling the confirmation leaves the message alone.
    c.button("message-actions", "delete").click()
    c.wait(lambda: c.by_id("confirm").is_displayed(), "the confirmation dialog")
    c.by_id("confirm-cancel").click()
    assert ids[1] in c.queued()
    c.button("message-actions", "delete").click()
    c.confirm()
    c.status_ok(ids[1])
    c.h.wait_for(lambda: ids[1] not in c.queued(), what="deleted")
    assert ids[2] in c.queued()
    c.no_script_errors("message actions")


def test_the_queue_searches_pages_and_acts_on_the_filtered_set(console):
    from selenium.webdriver.common.by import By
    c = console
    one = c.deferred(3)
    two = c.deferred(2, recipient=SLOW_TWO)
    c.open("queue")
    c.wait(lambda: len(c.rows("queue-rows")) == 5, "five queued messages")
    assert c.by_id("queue-total").text == "(5)"

    c.by_id("f-domain").send_keys("two.test")
    c.by_id("f-apply").click()
    c.wait(lambda: {r[0] for r in c.rows("queue-rows")} == set(two), "only two.test's messages")
    assert c.by_id("queue-total").text == "(2 of 5)"

    # Hold every message the search matches, after the confirmation.
    c.find(By.CSS_SELECTOR, '[data-bulk="hold"]').click()
    c.wait_text("confirm-text", "domain two.test (2 now)")
    c.confirm()
    c.status_ok("2 messages touched")
    queue = c.queued()
    assert all(queue[i]["held"] for i in two) and not any(queue[i]["held"] for i in one)
    c.wait(lambda: all("held" in r[4] for r in c.rows("queue-rows")), "shown held")

    c.find(By.CSS_SELECTOR, '[data-bulk="release"]').click()
    c.confirm()
    c.status_ok("2 messages touched")
    assert not any(c.queued()[i]["held"] for i in two)

    c.find(By.CSS_SELECTOR, '[data-bulk="delete"]').click()
    c.confirm()
    c.status_ok("2 messages touched")
    assert set(c.queued()) == set(one)

    # Held or not, as a filter; then flush and bounce of what matches.
    c.by_id("f-clear").click()
    c.wait(lambda: len(c.rows("queue-rows")) == 3, "the whole queue again")
    c.call(f"/api/queue/{one[0]}/hold", "POST")
    from selenium.webdriver.support.ui import Select
    Select(c.by_id("f-held")).select_by_value("yes")
    c.by_id("f-apply").click()
    c.wait(lambda: [r[0] for r in c.rows("queue-rows")] == [one[0]], "only the held one")
    c.find(By.CSS_SELECTOR, '[data-bulk="delete"]').click()
    c.confirm()
    c.status_ok("1 message touched")
    assert set(c.queued()) == set(one[1:])

    Select(c.by_id("f-held")).select_by_value("no")
    attempts = {i: c.queued()[i]["attempts"] for i in one[1:]}
    c.find(By.CSS_SELECTOR, '[data-bulk="flush"]').click()
    c.confirm()
    c.status_ok("2 messages touched")
    c.h.wait_for(lambda: all(c.queued()[i]["attempts"] > attempts[i] for i in one[1:]),
                 what="both tried again")
    c.find(By.CSS_SELECTOR, '[data-bulk="bounce"]').click()
    c.confirm()
    c.status_ok("2 messages touched")
    c.h.wait_for(lambda: not set(one) & set(c.queued()), what="both bounced out of the queue")
    c.wait(lambda: "No message matches" in c.by_id("queue-rows").text, "an empty result")
    c.no_script_errors("queue actions")


def test_the_queue_pages_through_many_messages(console):
    from selenium.webdriver.support.ui import Select
    c = console
    # Queued (each is deferred at its turn, retried in an hour): no need to wait for that.
    ids = [c.send([SLOW]) for _ in range(25)]
    c.open("queue")
    c.wait(lambda: len(c.rows("queue-rows")) == 25, "all 25 on the default page of 50")
    Select(c.by_id("page-size")).select_by_value("20")
    c.wait(lambda: len(c.rows("queue-rows")) == 20, "a page of 20")
    assert c.by_id("page-info").text == "1–20 of 25"
    assert c.by_id("page-prev").get_attribute("disabled") is not None
    assert [r[0] for r in c.rows("queue-rows")] == ids[:20]
    c.by_id("page-next").click()
    c.wait(lambda: len(c.rows("queue-rows")) == 5, "the last 5")
    assert [r[0] for r in c.rows("queue-rows")] == ids[20:]
    assert c.by_id("page-info").text == "21–25 of 25"
    assert c.by_id("page-next").get_attribute("disabled") is not None
    c.by_id("page-prev").click()
    c.wait(lambda: len(c.rows("queue-rows")) == 20, "the first page again")
    c.no_script_errors("queue pages")


def test_a_suppression_added_in_the_page_is_in_the_api_and_removed_there(console):
    c = console
    c.open("bounces")
    c.by_id("sup-address").send_keys("carl@one.test")
    c.by_id("sup-domain").send_keys(BRAND)
    c.by_id("sup-reason").send_keys("asked by phone")
    c.by_id("sup-add").click()
    c.status_ok("carl@one.test is suppressed for brand.test")
    status, listing = c.call(f"/api/v1/suppressions?domain={BRAND}")
    assert status == 200, listing
    [entry] = listing["entries"]
    assert entry["address"] == "carl@one.test" and entry["reason"] == "asked by phone", entry
    c.wait_text("suppressions", "carl@one.test")
    c.screenshot("suppressions")
    c.click(lambda: c.button("suppressions", "Remove"), "Remove")
    c.confirm()
    c.status_ok("no longer suppressed")
    assert c.call(f"/api/v1/suppressions?domain={BRAND}")[1]["entries"] == []
    c.no_script_errors("suppressions")


def test_errors_and_successes_look_different(console):
    c = console
    [msg_id] = c.deferred(1)
    c.open(f"message/{msg_id}")
    c.wait_text("message-recipients", SLOW)
    c.button("message-actions", "hold").click()
    c.status_ok("held")
    ok_colour = c.by_id("status").value_of_css_property("color")
    # Another client releases and deletes it meanwhile: the page's release fails.
    c.call(f"/api/queue/{msg_id}/delete", "POST")
    c.wait(lambda: c.button("message-actions", "release"), "a release button")
    c.button("message-actions", "release").click()
    c.wait(lambda: c.by_id("status").get_attribute("class") == "error", "an error")
    assert f"no message {msg_id}" in c.by_id("status").text, c.by_id("status").text
    assert c.by_id("status").value_of_css_property("color") != ok_colour
    # The failed call is the page's to report, not a script error.
    severe = [e for e in c.driver.get_log("browser") if e["level"] == "SEVERE"
              and "the server responded with a status of 404" not in e["message"]]
    assert not severe, severe


def test_a_wrong_token_is_an_error_that_says_what_to_do(console):
    c = console
    c.driver.get(f"http://127.0.0.1:{c.port}/#queue")
    c.by_id("token").send_keys("not-the-token-0000000000")
    c.by_id("save").click()
    c.wait(lambda: c.by_id("status").get_attribute("class") == "error", "an error")
    assert "a valid token is required" in c.by_id("status").text


def test_on_a_phone_every_page_is_reachable_from_the_navigation(console):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys
    c = console
    [msg_id] = c.deferred(1)
    c.driver.set_window_size(390, 844)
    c.open("overview")
    width = c.driver.execute_script("return document.documentElement.clientWidth")
    assert width <= 390, width
    for page in PAGES:
        link = c.find(By.CSS_SELECTOR, f'#nav a[href="#{page}"]')
        assert link.is_displayed(), page
        # Within the screen: nothing to scroll sideways to reach it.
        rect = link.rect
        assert rect["x"] >= 0 and rect["x"] + rect["width"] <= width, (page, rect)
        link.click()
        c.wait(lambda: c.by_id(f"page-{page}").is_displayed(), f"{page} shown")
        assert link.get_attribute("aria-current") == "page"
        c.wait_status_clear()
        c.screenshot(f"phone-{page}")
    # The page itself is no wider than the screen (its tables scroll within themselves).
    c.click_nav("queue")
    c.wait_text("queue-rows", msg_id)
    assert c.driver.execute_script(
        "return document.documentElement.scrollWidth") <= width + 1
    # And by keyboard, from a fresh load: the skip link first, then the pages' links, reached
    # with Tab and followed with Enter.
    c.driver.refresh()
    c.wait_text("queue-rows", msg_id)
    ActionChains(c.driver).send_keys(Keys.TAB).perform()
    focused = c.driver.switch_to.active_element
    assert focused.get_attribute("class") == "skip", focused.get_attribute("outerHTML")
    ActionChains(c.driver).send_keys(Keys.TAB).perform()
    focused = c.driver.switch_to.active_element
    assert focused.get_attribute("href").endswith("#overview"), focused.get_attribute("href")
    ActionChains(c.driver).send_keys(Keys.ENTER).perform()
    c.wait(lambda: c.by_id("page-overview").is_displayed(), "overview by keyboard")
    c.no_script_errors("phone")


def test_the_pages_are_labelled_for_assistive_technology(console):
    from selenium.webdriver.common.by import By
    c = console
    c.open("overview")
    assert c.find(By.CSS_SELECTOR, "html").get_attribute("lang") == "en"
    viewport = c.find(By.CSS_SELECTOR, 'meta[name="viewport"]').get_attribute("content")
    assert "width=device-width" in viewport
    # Every form field has a label.
    unlabelled = c.driver.execute_script("""
        return [...document.querySelectorAll('input, select')]
          .filter((f) => f.type !== 'hidden' && !(f.labels && f.labels.length)
                         && !f.getAttribute('aria-label'))
          .map((f) => f.id || f.name);""")
    assert unlabelled == [], unlabelled
    # Every page has its heading; the status line is announced.
    for page in PAGES + ("message",):
        assert c.find(By.CSS_SELECTOR, f'section[data-page="{page}"] h2').get_attribute(
            "textContent").strip(), page
    assert c.by_id("status").get_attribute("role") == "status"
    svg = c.find(By.CSS_SELECTOR, "#graph svg")
    assert svg.get_attribute("role") == "img" and svg.get_attribute("aria-labelledby")
    c.no_script_errors("accessibility")


def test_the_cluster_page_shows_the_nodes_and_the_link(make_herald, browser, tmp_path):  # noqa: F811
    from redis_server import RedisServer
    from selenium.webdriver.common.by import By
    from test_cluster import cluster_section

    redis = RedisServer(tmp_path / "redis").start()
    try:
        port = free_port_on(["127.0.0.1"])
        h = make_herald(admin={"http": f"127.0.0.1:{port}", "token": TOKEN},
                        cluster=cluster_section(redis, "mx-one"))
        make_herald(cluster=cluster_section(redis, "mx-two"))
        h.wait_for_log("is up")
        browser.get(f"http://127.0.0.1:{port}/#cluster")
        browser.find_element(By.ID, "token").send_keys(TOKEN)
        browser.find_element(By.ID, "save").click()

        def nodes():
            return browser.execute_script(
                "return [...document.getElementById('cluster-nodes').rows]"
                ".map((r) => [...r.cells].map((c) => c.innerText.trim()))")
        h.wait_for(lambda: sorted(r[:2] for r in nodes()) == [["mx-one", "alive"],
                                                               ["mx-two", "alive"]],
                   what="both nodes alive on the cluster page")
        link = browser.find_element(By.ID, "cluster-link").text
        assert "This node is mx-one" in link and "up" in link, link
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(SCREENSHOTS / "cluster.png"))
        # Redis gone: the page says so, in the error style.
        redis.kill()
        h.wait_for(lambda: "unreachable" in browser.find_element(By.ID, "cluster-link").text,
                   what="the page showing Redis unreachable")
        badge = browser.find_element(By.CSS_SELECTOR, "#cluster-link .badge")
        assert "error" in badge.get_attribute("class").split(), badge.get_attribute("class")
        severe = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
        assert not severe, severe
    finally:
        redis.kill()
