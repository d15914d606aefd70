"""The Dagster UI in headless Chromium: asset graph, asset metadata and lineage of a materialized small demo.

Skips when Chromium, chromedriver or selenium is missing. Raw and staging of
the small demo are materialized through `dagster job execute` into a
temporary instance first, then `dagster dev` serves that instance on
127.0.0.1 and is stopped when the tests end.
"""

from collections.abc import Iterator

import pytest

from moment_pipelines_tests.dagster_ui import (
    dismiss_community_prompt,
    execute_job,
    expand_sidebar_groups,
    find_chromium,
    headless_chromium,
    instance_environment,
    page_text,
    running_dagster_dev,
    wait_for_text,
)

pytestmark = pytest.mark.browser

EXPECTED_ASSETS = ("raw_moments", "stg_moments", "like_count_model", "like_count_evaluation")
# Tall enough that the asset tree shows every row without scrolling.
WINDOW_SIZE = (1600, 2400)


@pytest.fixture(scope="module")
def ui(small_demo_dir, tmp_path_factory) -> Iterator[tuple[str, object]]:
    """Base URL of dagster dev over an instance with raw_moments and stg_moments materialized, and a browser."""
    chromium = find_chromium()
    if chromium is None:
        pytest.skip("chromium and chromedriver not found; install them with apt-get install -y chromium chromium-driver")
    pytest.importorskip("selenium")

    work = tmp_path_factory.mktemp("ui")
    environment = instance_environment(work, small_demo_dir)
    execute_job(environment, "*stg_moments", work / "job.log")
    with running_dagster_dev(environment, work / "dagster_dev.log") as url:
        with headless_chromium(*chromium) as driver:
            driver.set_window_size(*WINDOW_SIZE)
            driver.get(f"{url}/asset-groups")
            dismiss_community_prompt(driver)
            yield url, driver


def test_graph_lists_asset_keys(ui):
    url, driver = ui
    driver.get(f"{url}/asset-groups")
    wait_for_text(driver, "like_count", "staging")

    expand_sidebar_groups(driver)

    wait_for_text(driver, *EXPECTED_ASSETS)
    text = page_text(driver)
    for name in EXPECTED_ASSETS:
        assert name in text


def test_asset_shows_metadata(ui):
    url, driver = ui
    driver.get(f"{url}/assets/raw_moments")

    wait_for_text(driver, "documents_read", "reconciliation")

    assert "rows_quarantined" in page_text(driver)


def test_lineage_shows_upstream(ui):
    url, driver = ui
    driver.get(f"{url}/assets/stg_moments?view=lineage&lineageScope=upstream")

    wait_for_text(driver, "raw_moments")

    assert "stg_moments" in page_text(driver)
