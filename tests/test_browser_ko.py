"""The Korean edition in JupyterLab's Korean UI, in a real browser (Korean 00 and 04).

The server is started like `make lab KO=1` (optkit.i18n.lab_setup's app settings dir: the
jupyterlab-language-pack-ko-kr locale selected for this server only) on a throw-away copy of
notebooks/ko/; the browser gets the NanumGothic font that optkit's set-up installs (a learner's
desktop has its own Korean fonts; a bare test machine has none). Each notebook is run with
실행 > 모든 셀 실행 and checked exactly like the English browser test; screenshots go to
test-artifacts/browser-ko/.
"""
from __future__ import annotations

import pytest

pytest.importorskip("playwright", reason="pip package 'playwright' missing: pip install playwright")

from optkit import i18n  # noqa: E402
from tests.browser_helpers import INSTALL_HINT, REPO, Browser, LabServer, find_chromium, problems, run_notebook  # noqa: E402

if find_chromium() is None:
    pytest.skip(INSTALL_HINT, allow_module_level=True)

pytestmark = pytest.mark.browser

KOREAN = REPO / "notebooks" / "ko"
ARTIFACTS = REPO / "test-artifacts" / "browser-ko"
# The Korean language pack's labels for the menu items the harness clicks.
KO_LABELS = {"Run": "실행", "Run All Cells": "모든 셀 실행", "View": "보기", "Appearance": "디자인",
             "Show Left Sidebar": "좌측 사이드바 표시", "File": "파일", "Close Tab": "탭 닫기",
             "Discard": "버리기"}
NAMES = [n for n in ("00_welcome.ipynb", "04_c_extension.ipynb") if (KOREAN / n).exists()]


@pytest.fixture(scope="module")
def browser():
    with Browser(font_dirs=[i18n.korean_font_path().parent]) as b:
        yield b


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    settings = i18n.lab_settings_dir("ko", tmp_path_factory.mktemp("lab-ko") / "settings")
    with LabServer(KOREAN, extra_args=[f"--LabApp.app_settings_dir={settings}"]) as server:
        yield server


def test_the_ui_is_korean(browser, lab):
    page = browser.new_page()
    try:
        page.goto(lab.url("/lab/workspaces/ko-menus/tree"))
        page.wait_for_selector(".lm-MenuBar-itemLabel", timeout=120_000)
        menus = page.locator(".lm-MenuBar-itemLabel").all_inner_texts()
    finally:
        page.close()
    assert {"파일", "편집", "보기", "실행", "커널", "설정", "도움말"} <= set(menus), menus


@pytest.mark.parametrize("name", NAMES, ids=[n.split(".")[0] for n in NAMES])
@pytest.mark.timeout(900)
def test_korean_notebook_in_korean_jupyterlab(browser, lab, name):
    import nbformat

    budget = nbformat.read(KOREAN / name, as_version=4).metadata["optkit"]["ci_budget_s"]
    run = run_notebook(browser, lab, name, timeout_s=budget * 2 + 60, artifacts=ARTIFACTS,
                       plot_shots=True, labels=KO_LABELS)
    found = problems(run)
    assert run.unchanged_on_disk, "JupyterLab wrote to the notebook copy"
    assert not found, f"ko/{name} in Korean JupyterLab:\n  " + "\n  ".join(found)
    assert run.screenshot and run.screenshot.stat().st_size > 10_000
    print(f"ko/{name}: screenshot {run.screenshot}, {len(run.cell_shots)} plot shots")
