"""Take the README's screenshots of the Dagster UI with headless Chromium.

Materializes the like-count chain of a small demo through `dagster job
execute` into a temporary instance and serves it with `dagster dev` on
127.0.0.1. Then it saves PNG files of the asset graph, the lineage of
like_count_evaluation, its metadata, its report and the model's loss curve.
Needs chromium and chromium-driver (apt-get install -y chromium
chromium-driver) and, for Chinese text, a CJK font such as fonts-noto-cjk.

Usage:
    .venv/bin/python bench/ui_screenshots.py                 # writes docs/ui-*.png
    .venv/bin/python bench/ui_screenshots.py --out /tmp/shots --moments 3000
"""

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

from selenium.webdriver.common.by import By
from tqdm import tqdm

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from moment_pipelines.demo import generate  # noqa: E402
from moment_pipelines_tests.dagster_ui import (  # noqa: E402
    dismiss_community_prompt,
    execute_job,
    find_chromium,
    headless_chromium,
    instance_environment,
    page_text,
    running_dagster_dev,
    wait_for_text,
)

SELECTION = "*like_count_evaluation"
PAGE_SIZE = (1600, 1000)
WIDE_PAGE_SIZE = (2000, 1150)  # the whole upstream chain at a zoom where node names are not shortened
TALL_PAGE_SIZE = (1600, 1400)
SETTLE_SECONDS = 2  # lets the graph layout and chart animations finish before a screenshot
LOADING_TIMEOUT_SECONDS = 30


def wait_until_loaded(driver, timeout: float = LOADING_TIMEOUT_SECONDS) -> None:
    """Wait until no part of the page shows "Loading", then let the layout settle; carry on after `timeout`."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        WebDriverWait(driver, timeout, poll_frequency=0.5).until(lambda d: "Loading" not in page_text(d))
    except TimeoutException:
        print(f"{driver.current_url} 在 {timeout} 秒后仍显示 Loading，照常截图")
    time.sleep(SETTLE_SECONDS)


def expand_sidebar_group(driver, group: str) -> None:
    """Open one group in the asset tree beside the global lineage graph."""
    caret = driver.find_element(
        By.XPATH,
        f"//span[text()='{group}']/ancestor::*[.//*[@aria-label='arrow_drop_down']][1]//*[@aria-label='arrow_drop_down']",
    )
    caret.click()


def open_markdown(driver, metadata_key: str):
    """Click "[Show Markdown]" in the metadata row `metadata_key`; return the dialog element."""
    row = driver.find_element(By.XPATH, f"//tr[.//td[normalize-space()='{metadata_key}']]")
    row.find_element(By.XPATH, ".//*[normalize-space(text())='[Show Markdown]']").click()
    return driver.find_element(By.CSS_SELECTOR, "[role=dialog]")


def take_screenshots(driver, url: str, out_dir: Path) -> list[Path]:
    """Drive the UI page by page and save one PNG per view; return the files written."""
    written = []
    steps = tqdm(total=5, desc="截图", unit="张")

    driver.set_window_size(*PAGE_SIZE)
    driver.get(f"{url}/asset-groups")
    dismiss_community_prompt(driver)
    wait_for_text(driver, "like_count", "recommendation")
    for group in ("raw", "like_count"):
        expand_sidebar_group(driver, group)
    wait_for_text(driver, "raw_moments", "like_count_model")
    wait_until_loaded(driver)
    written.append(out_dir / "ui-asset-graph.png")
    driver.save_screenshot(str(written[-1]))
    steps.update()

    driver.set_window_size(*WIDE_PAGE_SIZE)
    driver.get(f"{url}/assets/like_count_evaluation?view=lineage&lineageScope=upstream&lineageDepth=10")
    wait_for_text(driver, "raw_moments", "like_count_training_set", "like_count_model")
    wait_until_loaded(driver)
    written.append(out_dir / "ui-lineage.png")
    driver.save_screenshot(str(written[-1]))
    steps.update()

    driver.set_window_size(*TALL_PAGE_SIZE)
    driver.get(f"{url}/assets/like_count_evaluation")
    wait_for_text(driver, "mlp_mae_log", "report_path")
    wait_until_loaded(driver)
    written.append(out_dir / "ui-evaluation-metadata.png")
    driver.save_screenshot(str(written[-1]))
    steps.update()

    dialog = open_markdown(driver, "report")
    wait_for_text(driver, "评估报告", "指标怎么读")
    time.sleep(SETTLE_SECONDS)
    written.append(out_dir / "ui-evaluation-report.png")
    dialog.screenshot(str(written[-1]))
    steps.update()

    driver.get(f"{url}/assets/like_count_model")
    wait_for_text(driver, "loss_curve", "model_sha256")
    dialog = open_markdown(driver, "loss_curve")
    time.sleep(SETTLE_SECONDS)
    written.append(out_dir / "ui-loss-curve.png")
    dialog.screenshot(str(written[-1]))
    steps.update()

    steps.close()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description="用 headless Chromium 截取 Dagster UI 的资产图、血缘、评估 metadata 和报告")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "docs", help="PNG 文件的输出目录")
    parser.add_argument("--moments", type=int, default=1_500, help="演示数据的动态条数")
    parser.add_argument("--keep", action="store_true", help="保留临时目录（实例、仓库、日志）以便排查")
    arguments = parser.parse_args()

    chromium = find_chromium()
    if chromium is None:
        sys.exit("未找到 chromium 或 chromedriver，请先运行：apt-get install -y chromium chromium-driver")

    arguments.out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="moment-pipelines-ui-"))
    try:
        export_dir = work / "demo"
        generate(export_dir, n_moments=arguments.moments, seed=7, show_progress=True)
        environment = instance_environment(work, export_dir)
        print(f"物化 {SELECTION}（dagster job execute，进程内执行器）……")
        execute_job(environment, SELECTION, work / "job.log")
        with running_dagster_dev(environment, work / "dagster_dev.log") as url:
            with headless_chromium(*chromium) as driver:
                written = take_screenshots(driver, url, arguments.out)
        for path in written:
            print(f"已写入 {path}")
    finally:
        if arguments.keep:
            print(f"临时目录保留在 {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
