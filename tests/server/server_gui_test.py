"""server_gui_test.py BUILD SRCDIR - equery-server's GUI in a real browser:
Debian's chromium driven by chromium-driver through python3-selenium
(run with /usr/bin/python3, where Debian's modules are), headless.

Open the editor, type a program with a mistake and see the diagnostic at
its line and column with the suggestion; text from the program shown as
text, never as HTML; fix it and deploy it on a box replaying a capture;
watch the rows and the chart appear without a reload; click a row for its
history chart; open the boxes page. Then examples/loss_root_cause.eq from
the template menu: q1's top-N bar chart equals the largest groups of its
last window in the run's csv; the events timeline has a point per event
and start of the csv; the drill-down tree chains q1 -> e1 -> q2 -> e2 ->
q3 -> e3 -> q4 with the csv's values; the history page filters a time
range (the table is the csv's rows of those windows with that saddr), its
CSV link downloads the csv's lines of the range, and a bad time shows the
server's message as text. Screenshots go to BUILD/server-gui/."""
import os
import shutil
import sys
import tempfile
import time
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "box"))
from boxes import Box  # noqa: E402
from server import Server, check, csv_in_range, finish, json_in_range, rfc3339  # noqa: E402

BAD = """# flows of TCP data, per host pair
query flows = Select(saddr, daddr, pkts, SUM(pkt_len) AS bytes)
              Where(proto == tcp & payload_lenn > 0)
              Groupby(saddr, daddr) Every(1s);
"""
HOSTILE = "query q = Select(<img src=x onerror=window.pwned=1>);\n"

def shot(driver, element, path):
    """a screenshot of the page with element at its top"""
    driver.execute_script("arguments[0].scrollIntoView(); window.scrollBy(0, -10)", element)
    time.sleep(0.3)
    driver.save_screenshot(path)


def history_range(driver, wait, pid, lo, hi):
    """the history page: program pid's query q1 over [lo, hi)"""
    driver.find_element(By.ID, "nav-history").click()
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#h-program option[value='%d']" % pid))
    Select(driver.find_element(By.ID, "h-program")).select_by_value(str(pid))
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#h-column option[value=saddr]"))
    Select(driver.find_element(By.ID, "h-query")).select_by_value("q1")
    driver.find_element(By.ID, "h-from").send_keys(lo)
    driver.find_element(By.ID, "h-to").send_keys(hi)


def drill_down(driver, wait, server, shots):
    """examples/loss_root_cause.eq, loaded as a template and deployed on the
    box: the top-N chart of q1, the events timeline and the tree of which
    event started which instance; then the history page over its windows."""
    driver.find_element(By.ID, "nav-editor").click()
    Select(driver.find_element(By.ID, "example")).select_by_value("loss_root_cause.eq")
    check(driver.find_element(By.ID, "name").get_attribute("value") == "loss_root_cause.eq",
          "the example is loaded as a template")
    driver.find_element(By.ID, "deploy").click()
    # (textContent: the editor is hidden once the live view opens)
    wait.until(lambda d: d.find_element(By.ID, "deploy-result").get_attribute("textContent").startswith("deployed: "))
    pid = int(driver.find_element(By.ID, "deploy-result").get_attribute("textContent").split()[-1])
    wait.until(lambda d: "program %d: ended" % pid in d.find_element(By.ID, "status").text)
    st, _, body = server.request("GET", "/api/programs/%d/rows?format=csv" % pid)
    csv = body.decode().splitlines()
    check(st == 200 and len(csv) > 40, "the run's csv (%d lines)" % len(csv))

    # top-N of q1's latest window by its first numeric column that is no key (pkts)
    last = max(ln.split(",")[3] for ln in csv if ln.startswith("row,q1,"))
    want = sorted(((int(f[7]), f[5] + " → " + f[6]) for f in (ln.split(",") for ln in csv)
                   if f[0] == "row" and f[1] == "q1" and f[3] == last), key=lambda x: -x[0])[:10]
    got = driver.execute_script("const c = Chart.getChart(document.querySelector('#query-q1 canvas.topn'));"
                                "return [c.data.labels, c.data.datasets[0].data, c.data.datasets[0].label]")
    check(driver.execute_script("return document.querySelector('#query-q1 .topn-n').value") == "10" and
          got[2] == "pkts" and list(zip(got[1], got[0])) == want and len(want) >= 2,
          "the top-N chart: q1's groups of the latest window by pkts, largest first (%s)" % (got,))
    shot(driver, driver.find_element(By.CSS_SELECTOR, "#query-q1 .topn-n"), os.path.join(shots, "top-n.png"))

    # the timeline: a point per event and per start
    nev = sum(ln.startswith("event,") for ln in csv)
    nst = sum(ln.startswith("start,") for ln in csv)
    pts = driver.execute_script("const c = Chart.getChart(document.getElementById('timeline'));"
                                "return c.data.datasets.map(d => d.data.length)")
    check(pts == [nev, nst] and nst == 3, "the timeline: %d events and %d starts (%s)" % (nev, nst, pts))
    # the tree: q1 -> e1 -> q2 -> e2 -> q3 -> e3 -> q4, with the values
    def own(sel):
        return driver.execute_script("const e = document.querySelector(arguments[0]);"
                                     "return e ? [...e.childNodes].filter(n => n.nodeName !== 'UL')"
                                     ".map(n => n.textContent).join('') : null", sel)
    path = "#tree > li[data-query=q1]"
    for ev, q in (("e1", "q2"), ("e2", "q3"), ("e3", "q4")):
        fired = next(ln.split(",") for ln in csv if ln.startswith("event,%s," % ev))
        start = next(ln.split(",") for ln in csv if ln.startswith("start,%s," % q))
        path += " > ul > li.fired[data-event=%s]" % ev
        text = own(path)
        vals = ", ".join(fired[5:])
        check(text == "%s fired at %s: %s" % (ev, fired[4][11:19], vals),
              "the tree: %s fired, with its row's values (%s)" % (ev, text))
        path += " > ul > li[data-query=%s]" % q
        text = own(path)
        check(text == "%s #1 started at %s by %s with %s" % (q, start[3][11:19], ev, ", ".join(start[5:])),
              "the tree: %s started by %s, with the drill-down values (%s)" % (q, ev, text))
    more = own("#tree li[data-query=q2] > ul > li.summary[data-event=e2]")
    check(more is not None and more.startswith("e2 fired %d times, last at" % (sum(ln.startswith("event,e2,") for ln in csv) - 1)),
          "e2's other firings are counted under q2 (%s)" % more)
    check(driver.execute_script("return Chart.getChart(document.getElementById('timeline')).scales.y.ticks"
                                ".map(t => t.label)") == ["e1", "start q2", "e2", "start q3", "e3", "start q4"],
          "the timeline's lanes: each event and each started query")
    check(driver.execute_script("return window.noReload") == 42, "the charts and the tree came without a reload")
    shot(driver, driver.find_element(By.ID, "events-title"), os.path.join(shots, "events.png"))

    # the history page: a range and a filter; the download is the range's csv
    starts = sorted({ln.split(",")[3] for ln in csv if ln.startswith("row,q1,")})
    lo, hi = starts[2], starts[6]
    history_range(driver, wait, pid, lo, hi)
    Select(driver.find_element(By.ID, "h-column")).select_by_value("saddr")
    Select(driver.find_element(By.ID, "h-op")).select_by_value("equals")
    driver.find_element(By.ID, "h-value").send_keys("192.0.2.10")
    driver.find_element(By.ID, "h-show").click()
    wait.until(lambda d: d.find_element(By.ID, "h-info").text.endswith('where saddr equals "192.0.2.10"'))
    want = [f for f in (ln.split(",") for ln in csv) if f[0] == "row" and f[1] == "q1" and f[5] == "192.0.2.10"
            and rfc3339(lo) <= rfc3339(f[3]) < rfc3339(hi)]
    rows = driver.execute_script("return [...document.querySelectorAll('#h-table tbody tr')]"
                                 ".map(r => [...r.cells].map(c => c.textContent))")
    check([r[:3] for r in rows] == [[f[3], f[4], f[5]] for f in want] and len(want) == 4,
          "the history table: q1's windows of [%s, %s) where saddr equals 192.0.2.10 (%d rows)" % (lo, hi, len(rows)))
    check(driver.find_element(By.ID, "h-info").text == '%d rows in %d windows where saddr equals "192.0.2.10"'
          % (len(want), len(want)), "the history's count (%s)" % driver.find_element(By.ID, "h-info").text)
    href = driver.find_element(By.ID, "h-csv").get_attribute("href")
    with urllib.request.urlopen(href, timeout=30) as r:
        got = r.read()
    q1 = [ln for ln in csv if ln.split(",")[1 + ln.startswith("event,"):][:1] == ["q1"]]
    check(got == csv_in_range("\n".join(q1).encode(), rfc3339(lo), rfc3339(hi)) and got.count(b"\nrow,q1,") == 8,
          "the CSV download is q1's csv lines of [from, to) (%s)" % href)
    with urllib.request.urlopen(driver.find_element(By.ID, "h-json").get_attribute("href"), timeout=30) as r:
        got = r.read()
    st, _, whole = server.request("GET", "/api/programs/%d/rows?format=json&query=q1" % pid)
    check(got == json_in_range(whole, rfc3339(lo), rfc3339(hi)) and got.count(b'"type":"row"') == 8,
          "the JSON download is q1's json lines of [from, to)")
    driver.find_element(By.ID, "h-from").clear()
    driver.find_element(By.ID, "h-from").send_keys("<b>yesterday</b>")
    driver.find_element(By.ID, "h-show").click()
    wait.until(lambda d: "is not an RFC 3339 time" in d.find_element(By.ID, "h-info").text)
    check(driver.find_element(By.ID, "h-info").text.startswith("from='<b>yesterday</b>' is not an RFC 3339 time") and
          not driver.find_elements(By.CSS_SELECTOR, "#h-info b"), "a bad time: the server's message, as text")
    driver.find_element(By.ID, "h-from").clear()
    driver.find_element(By.ID, "h-from").send_keys(lo)
    driver.find_element(By.ID, "h-show").click()
    wait.until(lambda d: d.find_element(By.ID, "h-info").text.startswith("%d rows" % len(want)))
    driver.save_screenshot(os.path.join(shots, "history.png"))
    return pid, lo, hi, csv_in_range("\n".join(q1).encode(), rfc3339(lo), rfc3339(hi))


def token_download(driver, wait, build, tmp, downloads, pid, lo, hi, want):
    """Behind --token-file: the page asks for the token once, and the
    history's CSV link (a link cannot carry it) is fetched with it and
    saved: the downloaded file is the range's csv."""
    tok = os.path.join(tmp, "token")
    with open(tok, "w") as f:
        f.write("gui-token-0123456789abcdef\n")
    server = Server(os.path.join(build, "equery-server"), os.path.join(tmp, "results.sqlite"),
                    os.path.join(tmp, "server-token.log"), ["--token-file", tok])
    try:
        driver.get(server.base + "/")
        wait.until(lambda d: d.find_element(By.ID, "login").is_displayed())
        driver.find_element(By.ID, "token").send_keys("gui-token-0123456789abcdef")
        driver.find_element(By.CSS_SELECTOR, "#login-form button").click()
        wait.until(lambda d: d.find_element(By.ID, "view-editor").is_displayed())
        history_range(driver, wait, pid, lo, hi)
        driver.find_element(By.ID, "h-csv").click()
        path = os.path.join(downloads, "program-%d-q1.csv" % pid)
        deadline = time.time() + 30
        while time.time() < deadline and not os.path.exists(path):
            time.sleep(0.2)
        got = open(path, "rb").read() if os.path.exists(path) else None
        check(got == want, "behind a token, the history's CSV link saves the range's csv (%s)" %
              (got[:80] if got else os.listdir(downloads)))
    finally:
        server.stop()


def main():
    build = sys.argv[1]
    shots = os.path.join(build, "server-gui")
    os.makedirs(shots, exist_ok=True)
    capture = os.path.join(build, "traces", "loss_chain.pcap")
    tmp = tempfile.mkdtemp(prefix="equery-gui-test.")
    box = server = driver = None
    try:
        box = Box(os.path.join(build, "equery-box"), capture, os.path.join(tmp, "box.log"))
        server = Server(os.path.join(build, "equery-server"), os.path.join(tmp, "results.sqlite"),
                        os.path.join(tmp, "server.log"), ["--box", box.addr])
        opts = webdriver.ChromeOptions()
        for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000",
                  "--user-data-dir=" + os.path.join(tmp, "chromium")):
            opts.add_argument(a)
        downloads = os.path.join(tmp, "downloads")
        os.mkdir(downloads)
        opts.add_experimental_option("prefs", {"download.default_directory": downloads,
                                               "download.prompt_for_download": False})
        driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
        wait = WebDriverWait(driver, 30)
        driver.get(server.base + "/")
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#example option")) > 5)
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".box-choice"))
        check(driver.find_element(By.CSS_SELECTOR, ".box-choice").get_attribute("value") == box.addr,
              "the editor offers the server's box")

        # a mistake: shown at its line and column, with the suggestion
        src = driver.find_element(By.ID, "source")
        src.send_keys(BAD)
        driver.find_element(By.ID, "deploy").click()
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#diagnostics .diag"))
        diag = driver.find_element(By.CSS_SELECTOR, "#diagnostics .diag")
        where = diag.find_element(By.CSS_SELECTOR, ".where").text
        check(where.startswith("program.eq:3:36: error"), "the diagnostic is at line 3, column 36 (%s)" % where)
        pre = diag.find_element(By.CSS_SELECTOR, "pre")
        check(pre.get_attribute("data-line") == "3" and "payload_lenn > 0" in pre.text,
              "the diagnostic shows line 3 of the program")
        caret = driver.execute_script("return document.querySelector('#diagnostics .caret').textContent")
        line = driver.execute_script("return document.querySelector('#diagnostics pre').childNodes[1].textContent")
        check(caret.index("^") - len("  3 | ") == line.index("payload_lenn") and caret.strip() == "^" + "~" * 11,
              "a caret under the whole misspelt name (%r)" % caret)
        check(diag.find_element(By.CSS_SELECTOR, ".suggestion").text == "suggestion: payload_len",
              "the suggestion is shown")
        check(driver.execute_script("return document.getElementById('source').selectionStart") ==
              BAD.index("payload_lenn"), "the mistake is selected in the editor")
        driver.save_screenshot(os.path.join(shots, "editor-diagnostic.png"))

        # text from the program is shown as text
        src.clear()
        src.send_keys(HOSTILE)
        driver.find_element(By.ID, "deploy").click()
        wait.until(lambda d: "<img" in d.find_element(By.ID, "diagnostics").text)
        check(driver.execute_script("return window.pwned === undefined && !document.querySelector('#diagnostics img')"),
              "a program's text cannot inject HTML into the page")

        # fixed and deployed on the box: rows and a chart, no reload
        src.clear()
        src.send_keys(BAD.replace("payload_lenn", "payload_len"))
        driver.execute_script("window.noReload = 42")
        driver.find_element(By.ID, "deploy").click()
        wait.until(lambda d: d.find_element(By.ID, "view-live").is_displayed())
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#query-flows table tbody tr")) > 0)
        wait.until(lambda d: "ended" in d.find_element(By.ID, "status").text)
        rows = driver.find_elements(By.CSS_SELECTOR, "#query-flows table tbody tr")
        check(len(rows) > 0, "the latest window's rows appear (%d)" % len(rows))
        points = driver.execute_script(
            "return Chart.getChart(document.querySelector('#query-flows canvas')).data.datasets[0].data.length")
        check(points > 3, "the chart has a point per window (%d)" % points)
        check(driver.execute_script("return window.noReload") == 42, "without a reload")
        cells = [c.text for c in rows[0].find_elements(By.TAG_NAME, "td")]
        check(cells[0].count(".") == 3 and (cells[3].endswith(" B") or cells[3].endswith("kB")),
              "addresses and bytes in human units (%s)" % cells)
        driver.save_screenshot(os.path.join(shots, "live.png"))

        # a row's history
        rows[0].click()
        wait.until(lambda d: d.find_element(By.ID, "flow").is_displayed())
        title = driver.find_element(By.ID, "flow-title").text
        check(title.startswith("history of saddr=" + cells[0]) and "daddr=" + cells[1] in title,
              "clicking a row shows its group's history (%s)" % title)
        n = driver.execute_script("return Chart.getChart(document.getElementById('flow-chart')).data.datasets[0]"
                                  ".data.filter(v => v > 0).length")
        check(n >= 1, "the history chart has the group's windows (%d)" % n)
        driver.save_screenshot(os.path.join(shots, "flow.png"))

        # the boxes page
        driver.find_element(By.ID, "nav-boxes").click()
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#boxes tbody tr td"))
        # (read at once: the page refreshes the table every 2 s)
        cells = driver.execute_script("return [...document.querySelectorAll('#boxes tbody tr td')].map(c => c.textContent)")
        check(cells[0] == box.addr and cells[1] == "ok" and "pcap" in cells[3], "the boxes page: %s" % cells[:4])
        driver.save_screenshot(os.path.join(shots, "boxes.png"))

        pid, lo, hi, want = drill_down(driver, wait, server, shots)
        token_download(driver, wait, build, tmp, downloads, pid, lo, hi, want)
    finally:
        if driver:
            driver.quit()
        if server:
            server.stop()
        if box:
            box.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    finish()


main()
