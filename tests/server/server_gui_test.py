"""server_gui_test.py BUILD SRCDIR - equery-server's GUI in a real browser:
Debian's chromium driven by chromium-driver through python3-selenium
(run with /usr/bin/python3, where Debian's modules are), headless.

Open the editor, type a program with a mistake and see the diagnostic at
its line and column with the suggestion; text from the program shown as
text, never as HTML; fix it and deploy it on a box replaying a capture;
watch the rows and the chart appear without a reload; click a row for its
history chart; open the boxes page. Screenshots go to BUILD/server-gui/."""
import os
import shutil
import sys
import tempfile
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "box"))
from boxes import Box  # noqa: E402
from server import Server, check, finish  # noqa: E402

BAD = """# flows of TCP data, per host pair
query flows = Select(saddr, daddr, pkts, SUM(pkt_len) AS bytes)
              Where(proto == tcp & payload_lenn > 0)
              Groupby(saddr, daddr) Every(1s);
"""
HOSTILE = "query q = Select(<img src=x onerror=window.pwned=1>);\n"

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
