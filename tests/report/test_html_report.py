"""``vadbench report --format html``: one self-contained page, opened in a real headless Chromium.

Chromium and its driver come from Debian's packages (``chromium``, ``chromium-driver``), which ``.ci/run`` installs
when they are missing; without them this test fails rather than skips."""

from __future__ import annotations

import io
import shutil

import numpy as np
import pytest

OPTIONS = ["--cfg-options", "dataset.synthetic.size=[32, 32]"]


@pytest.fixture
def report_folder(tmp_path, vadbench):
    home = {"VADBENCH_HOME": str(tmp_path / "home")}
    result = vadbench("run", "--model", "interp", "--scorer", "mse,l1", "--dataset", "synthetic", *OPTIONS,
                      cwd=tmp_path, env_extra=home)
    assert result.returncode == 0, result.stdout + result.stderr
    written = vadbench("report", "--format", "html", "--output", "page", cwd=tmp_path,
                       env_extra=home)
    assert written.returncode == 0, written.stdout + written.stderr
    return tmp_path / "page"


def test_the_page_is_self_contained(report_folder):
    page = (report_folder / "index.html").read_text()
    assert [path.name for path in report_folder.iterdir()] == ["index.html"]
    assert "<script" not in page and "http://" not in page and "https://" not in page
    assert page.count("data:image/png;base64,") >= 4  # the runs' figures travel inside the page
    for text in ("synthetic — ranked by auc_micro", "Measured", "Reported (published numbers", "interp",
                 "run ", "command", "vadbench run --model interp"):
        assert text in page


def test_html_needs_a_folder(tmp_path, vadbench):
    result = vadbench("report", "--format", "html", cwd=tmp_path)
    assert result.returncode == 1 and "add --output DIR" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.slow
def test_a_headless_browser_shows_the_tables_and_figures_without_errors(report_folder):
    from matplotlib.image import imread
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    browser, driver_path = shutil.which("chromium"), shutil.which("chromedriver")
    assert browser and driver_path, "install Debian's chromium and chromium-driver (.ci/run does)"
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,2000"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    try:
        driver.get((report_folder / "index.html").as_uri())
        tables = driver.find_elements(By.TAG_NAME, "table")
        assert len(tables) >= 3  # measured, reported, a run's jobs
        assert any("interp" in table.text and "auc_micro" in table.text for table in tables)
        images = driver.find_elements(By.TAG_NAME, "img")
        assert images and all(driver.execute_script("return arguments[0].naturalWidth", image) > 0
                              for image in images)  # every embedded figure decodes
        errors = [entry for entry in driver.get_log("browser") if entry["level"] in ("SEVERE", "ERROR")]
        assert errors == []
        shot = imread(io.BytesIO(driver.get_screenshot_as_png()))
        assert shot.shape[0] > 100 and np.std(shot[..., :3]) > 0.02  # not a blank page
    finally:
        driver.quit()
