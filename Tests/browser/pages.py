#!/usr/bin/env python3
"""Drives RunLedger's pages in Debian's headless Chromium, as an operator would after an alert.

Usage: pages.py BASE_URL SCREENSHOT_DIR EXPECTED_JSON

EXPECTED_JSON (written by BrowserTests.swift from the ledger's own API) holds what the pages must show:
the number of false failures, the run to open, and the crafted run whose workflow and tool names are HTML.
Every wait is bounded; any failed check exits 1 with one line saying which.
"""
import datetime
import json
import sys
import zoneinfo

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

base, shots, expected_path = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3]
expected = json.load(open(expected_path))
saved = []


def fail(why):
    print(f"browser: {why}", file=sys.stderr)
    sys.exit(1)


def check(condition, why):
    if not condition:
        fail(why)


def shot(driver, name):
    # The whole page, not just the first screenful: size the window to the document first.
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1280, min(max(height + 40, 600), 6000))
    path = f"{shots}/{name}.png"
    check(driver.save_screenshot(path), f"could not save {path}")
    saved.append(path)


def console_errors(driver):
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


options = webdriver.ChromeOptions()
options.binary_location = "/usr/bin/chromium"
for arg in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--window-size=1280,900", "--proxy-server=direct://", "--proxy-bypass-list=*",
            "--lang=en-US"]:
    options.add_argument(arg)
options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
driver.set_page_load_timeout(30)
wait = WebDriverWait(driver, 15)
try:
    # 1. The landing page: totals by kind, each a link into the filtered list.
    driver.get(base + "/")
    check(driver.title.startswith("RunLedger"), f"landing page title is {driver.title!r}")
    totals = driver.find_elements(By.CSS_SELECTOR, "a#kind-false-failures")
    check(len(totals) == 2, f"landing page shows {len(totals)} false-failure totals, want 24 h and all time")
    all_time = totals[-1]
    check(all_time.find_element(By.TAG_NAME, "b").text == str(expected["false_failures"]),
          f"all-time false failures read {all_time.text!r}, want {expected['false_failures']}")
    check(driver.find_elements(By.CSS_SELECTOR, "time[datetime] + span.local") or
          not driver.find_elements(By.CSS_SELECTOR, "time[datetime]"),
          "the script did not add local times next to the UTC ones")
    shot(driver, "1-landing")

    # 2. Filter to false failures with the list's own form, as a person would.
    driver.get(base + "/runs")
    box = driver.find_element(By.CSS_SELECTOR, "form#filters input[name=false_failure]")
    check(not box.is_selected(), "the false-failure box is ticked on the unfiltered list")
    box.click()
    driver.find_element(By.CSS_SELECTOR, "form#filters button[type=submit]").click()
    wait.until(lambda d: "false_failure=1" in d.current_url)
    rows = driver.find_elements(By.CSS_SELECTOR, "table#runs tr td:first-child a")
    check(len(rows) == expected["false_failures"],
          f"the filtered list shows {len(rows)} runs, want {expected['false_failures']}")
    whys = [r.text for r in driver.find_elements(By.CSS_SELECTOR, "table#runs tr td:last-child")]
    check(all("false failure" in w for w in whys), f"a listed run is not a false failure: {whys}")
    check(driver.find_element(By.CSS_SELECTOR, "form#filters input[name=false_failure]").is_selected(),
          "the form forgot the filter it was submitted with")
    shot(driver, "2-false-failures")

    errors = console_errors(driver)
    check(not errors, f"the browser console has errors: {errors}")

    # 3. An unknown filter is said, not ignored (the 400 it answers with is the one console error expected).
    driver.get(base + "/runs?workflw=brain")
    error = driver.find_elements(By.CSS_SELECTOR, "#error")
    check(error and "workflw" in error[0].text, "an unknown parameter was not named on the list")
    console_errors(driver)

    # 4. A run page: the verdict, the mismatch table and the workspace.
    run = expected["run"]
    driver.get(base + "/runs")
    driver.find_element(By.CSS_SELECTOR, "form#filters input[name=q]").send_keys(run["id"][:8])
    driver.find_element(By.CSS_SELECTOR, "form#filters button[type=submit]").click()
    wait.until(lambda d: "q=" in d.current_url)
    driver.find_element(By.LINK_TEXT, run["id"]).click()
    wait.until(lambda d: d.current_url.endswith("/runs/" + run["id"]))
    verdict = driver.find_element(By.CSS_SELECTOR, "table#verdicts td.bad").text
    check("did real work" in verdict, f"the false-failure verdict reads {verdict!r}")
    bad = [c.text for c in driver.find_elements(By.CSS_SELECTOR, "table#reported td.bad")]
    check(len(bad) == run["mismatched_cells"],
          f"the reported-vs-logs table marks {len(bad)} cells, want {run['mismatched_cells']}: {bad}")
    check(all(c.endswith("≠ logs") for c in bad), f"a marked cell does not say why: {bad}")
    workspace = driver.find_elements(By.CSS_SELECTOR, "table#workspace")
    for text in run.get("workspace", []):
        check(workspace and text in workspace[0].text, f"the workspace section does not show {text!r}")
    for text in run.get("lost_work", []):
        lost = driver.find_elements(By.CSS_SELECTOR, "#lost-work")
        check(lost and text in lost[0].text, f"the run page does not say {text!r}")
    # The browser runs in Europe/Berlin (BrowserTests sets TZ): the reader's local time is shown beside UTC.
    started = driver.find_element(By.CSS_SELECTOR, "table#summary time[datetime]")
    local = datetime.datetime.fromisoformat(started.get_attribute("datetime").replace("Z", "+00:00")).astimezone(
        zoneinfo.ZoneInfo("Europe/Berlin"))
    shown = started.find_element(By.XPATH, "following-sibling::span[@class='local']").text
    check(local.strftime("%-I:%M:%S %p") in shown, f"the local start reads {shown!r}, want {local} in Berlin")
    text = driver.find_element(By.TAG_NAME, "body").text
    check(" nil" not in text and "Optional(" not in text, "the run page prints a Swift nil")
    check("stalled since" not in text, "a run that is not stalled shows a 'stalled since' row")
    shot(driver, "3-run")

    # 5. Escaping: the crafted run's workflow and tool names are shown as text, never run as markup.
    crafted = expected["crafted"]
    driver.get(base + "/runs/" + crafted["id"])
    summary = driver.find_element(By.CSS_SELECTOR, "table#summary").text
    check(crafted["workflow"] in summary, "the crafted workflow name is not shown as text")
    tools = [c.text for c in driver.find_elements(By.CSS_SELECTOR, "table#summary code")]
    check(crafted["tool"] in tools, f"the crafted tool name is not shown as text: {tools}")
    check(driver.execute_script("return window.__injected === undefined"), "the page ran injected script")
    check(not driver.find_elements(By.CSS_SELECTOR, "img[src='x'], b#injected"), "the page holds injected markup")
    check(" nil" not in driver.find_element(By.TAG_NAME, "body").text, "the crafted run's page prints a Swift nil")
    # Its "runs of WORKFLOW" link carries the name percent-encoded, so the list finds the run.
    driver.find_element(By.ID, "workflow-runs").click()
    wait.until(lambda d: "/runs?workflow=" in d.current_url)
    check(driver.find_elements(By.LINK_TEXT, crafted["id"]), "the crafted run's 'runs of' link misses it")
    driver.get(base + "/runs?workflow=" + crafted["workflow_query"])
    check(driver.find_elements(By.LINK_TEXT, crafted["id"]), "the list filtered by the crafted workflow misses it")
    check(driver.execute_script("return window.__injected === undefined"), "the list ran injected script")
    shot(driver, "4-escaped")

    # 6. A run that went well: no verdict in red, no lost work, nothing printed as a Swift nil.
    driver.get(base + "/runs/" + expected["plain"])
    text = driver.find_element(By.TAG_NAME, "body").text
    check(" nil" not in text and "Optional(" not in text, "a completed run's page prints a Swift nil")
    check(not driver.find_elements(By.CSS_SELECTOR, "#lost-work, table#verdicts td.bad"),
          "a completed run's page says work was lost")

    errors = console_errors(driver)
    check(not errors, f"the browser console has errors: {errors}")
finally:
    driver.quit()
print("\n".join(saved))
