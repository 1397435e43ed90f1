"""The web page at / in a real headless browser (Debian's chromium, driven by Selenium through
chromedriver): pick a model, type, run, see the output drawn; a screenshot of each."""

import shutil
from pathlib import Path

import pytest

CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(
    not (CHROMIUM and DRIVER),
    reason="needs Debian's chromium and chromium-driver (the Makefile installs them as root)")


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--window-size=1100,1400",
                 f"--user-data-dir={tmp_path_factory.mktemp('chromium')}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def open_model(browser, server, name: str):
    from selenium.webdriver.support.ui import Select, WebDriverWait

    browser.get(server + "/")
    WebDriverWait(browser, 30).until(lambda d: d.find_element("tag name", "body")
                                     .get_attribute("data-ready") == "yes")
    Select(browser.find_element("id", "model")).select_by_value(name)


def run_and_wait(browser, css: str):
    from selenium.webdriver.support.ui import WebDriverWait

    browser.find_element("id", "run").click()
    WebDriverWait(browser, 60).until(lambda d: d.find_elements("css selector", css) or
                                     d.find_elements("css selector", "#output .error"))
    errors = browser.find_elements("css selector", "#output .error")
    assert not errors, errors[0].text
    return browser.find_elements("css selector", css)


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("screenshots")


def screenshot(browser, folder: Path, name: str) -> None:
    """A screenshot of the page as it stands, checked to be a real picture."""
    path = folder / f"{name}.png"
    browser.save_screenshot(str(path))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 5000


def test_generate_with_a_temperature_slider(browser, server, shots):
    open_model(browser, server, "lm")
    prime = browser.find_element("id", "prime")
    prime.clear()
    prime.send_keys("It is")
    slider = browser.find_element("id", "temperature")
    browser.execute_script("arguments[0].value = '0.3'; arguments[0].oninput();", slider)
    assert browser.find_element("id", "temperature-value").text == "0.3"
    (generated,) = run_and_wait(browser, "pre.generated")
    assert generated.text.startswith("It is") and len(generated.text) > 20
    assert browser.find_element("css selector", "img.curves").get_attribute("naturalWidth") != "0"
    screenshot(browser, shots, "generate")


def test_class_probabilities_as_bars(browser, server, shots):
    open_model(browser, server, "sentiment")
    rows = run_and_wait(browser, ".label-row")
    assert len(rows) == 2  # both labels of the one text
    widths = [row.find_element("css selector", ".bar").size["width"] for row in rows]
    shares = [float(row.find_element("css selector", ".probability").text.split()[0])
              for row in rows]
    assert sum(shares) == pytest.approx(100, abs=0.2)
    assert widths == sorted(widths, reverse=True) and widths[0] > 0
    screenshot(browser, shots, "classify")


def test_tags_over_the_words(browser, server, shots):
    open_model(browser, server, "ner")
    words = run_and_wait(browser, ".word")
    assert [w.text.split("\n")[-1] for w in words] == ["John", "lives", "in", "Paris"]
    screenshot(browser, shots, "tag")


def test_a_forecast_plot_with_its_interval(browser, server, runs, shots):
    open_model(browser, server, "series")
    browser.execute_script("document.getElementById('csv').value = arguments[0];",
                           (runs / "series.csv").read_text())
    (plot,) = run_and_wait(browser, "svg.forecast")
    assert plot.find_elements("css selector", "polygon")  # the interval band
    assert len(plot.find_elements("css selector", "polyline")) == 2  # history and forecast
    screenshot(browser, shots, "forecast")


def test_a_translation_with_its_attention_map(browser, server, shots):
    open_model(browser, server, "reverse")
    browser.find_element("id", "source").send_keys("red blue cat")
    (drawn,) = run_and_wait(browser, "svg.attention")
    across = drawn.find_elements("css selector", "text.src")
    down = drawn.find_elements("css selector", "text.out")
    assert [t.text for t in across] == ["red", "blue", "cat"]
    assert down and down[-1].text == "</s>"  # output tokens down, the end token last
    assert len(drawn.find_elements("css selector", "rect")) == len(across) * len(down)
    screenshot(browser, shots, "translate")


def test_an_error_is_shown_not_thrown(browser, server):
    from selenium.webdriver.support.ui import WebDriverWait

    open_model(browser, server, "lm")
    prime = browser.find_element("id", "prime")
    prime.clear()
    prime.send_keys("€€€")
    browser.find_element("id", "run").click()
    WebDriverWait(browser, 30).until(lambda d: d.find_elements("css selector", "#output .error"))
    assert "vocabulary" in browser.find_element("css selector", "#output .error").text


def test_the_forecast_has_axes_ticks_and_a_legend(browser, server, runs, shots):
    open_model(browser, server, "series")
    browser.execute_script("document.getElementById('csv').value = arguments[0];",
                           (runs / "series.csv").read_text())
    (plot,) = run_and_wait(browser, "svg.forecast")
    assert len(plot.find_elements("css selector", "line.axis")) == 2
    ticks = [t.text for t in plot.find_elements("css selector", "text.tick")]
    assert len(ticks) == 6 and ticks[:3] == ["100", "199", "203"]  # the series' own times (t)
    legend = plot.find_element("css selector", "g.legend").text
    assert "history" in legend and "forecast" in legend and "80% interval" in legend
    screenshot(browser, shots, "forecast-axes")


def test_an_empty_forecast_box_and_a_refused_body_are_plain_sentences(browser, server):
    from selenium.webdriver.support.ui import WebDriverWait

    open_model(browser, server, "series")
    browser.find_element("id", "run").click()
    WebDriverWait(browser, 30).until(lambda d: d.find_elements("css selector", "#output .error"))
    assert "paste the series as CSV first" in browser.find_element("css selector",
                                                                   "#output .error").text
    open_model(browser, server, "lm")
    length = browser.find_element("id", "length")
    length.clear()
    length.send_keys("999999")  # over the schema's bound: a 422
    browser.find_element("id", "run").click()
    WebDriverWait(browser, 30).until(lambda d: d.find_elements("css selector", "#output .error"))
    text = browser.find_element("css selector", "#output .error").text
    assert text.startswith("length:") and "{" not in text
