"""`dagster dev` on 127.0.0.1 and headless Chromium driven by Selenium, for the browser test and the UI screenshots.

Chromium and chromedriver come from the system (Debian: apt-get install -y
chromium chromium-driver). Selenium is given both paths, so it never looks
for or downloads a browser or driver itself.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
PROJECT_INSTANCE_YAML = REPO_ROOT / ".dagster_home" / "dagster.yaml"
DAGSTER_CLI = Path(sys.executable).parent / "dagster"

CHROMIUM_CANDIDATES = ("chromium", "chromium-browser")
CHROMEDRIVER_CANDIDATES = ("chromedriver", "/usr/lib/chromium/chromedriver")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1600,1000",
)

PAGE_TIMEOUT_SECONDS = 90
PROMPT_TIMEOUT_SECONDS = 8
SERVER_START_TIMEOUT_SECONDS = 240
SERVER_STOP_TIMEOUT_SECONDS = 20
JOB_TIMEOUT_SECONDS = 900


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def find_chromium() -> tuple[str, str] | None:
    """Return the paths of Chromium and chromedriver, or None when either is missing."""
    browser = next((path for name in CHROMIUM_CANDIDATES if (path := shutil.which(name))), None)
    driver = next((path for name in CHROMEDRIVER_CANDIDATES if (path := shutil.which(name))), None)
    if browser is None or driver is None:
        return None
    return browser, driver


def instance_environment(work_dir: Path, export_dir: Path) -> dict[str, str]:
    """Create a DAGSTER_HOME in `work_dir` with the project's dagster.yaml; return the environment for Dagster processes."""
    dagster_home = work_dir / "dagster_home"
    dagster_home.mkdir(parents=True, exist_ok=True)
    shutil.copy(PROJECT_INSTANCE_YAML, dagster_home / "dagster.yaml")
    environment = {key: value for key, value in os.environ.items() if not key.startswith("MOMENTS_MONGO")}
    environment.update(
        {
            "DAGSTER_HOME": str(dagster_home),
            "MOMENTS_EXPORT_DIR": str(export_dir),
            "MOMENTS_WAREHOUSE": str(work_dir / "warehouse.duckdb"),
            "MOMENTS_ARTIFACTS_DIR": str(work_dir / "artifacts"),
        }
    )
    return environment


def execute_job(environment: dict[str, str], op_selection: str, log_path: Path, in_process: bool = True) -> None:
    """Run part of main_job through `dagster job execute`; raise RuntimeError with the log's tail when it fails.

    The in-process executor runs every step in one process, which saves one
    import of the code location per step.
    """
    command = [str(DAGSTER_CLI), "job", "execute", "-m", "moment_pipelines", "-a", "defs", "-j", "main_job"]
    command += ["-o", op_selection]
    if in_process:
        config_path = log_path.with_suffix(".run_config.yaml")
        config_path.write_text("execution:\n  config:\n    in_process: {}\n", encoding="utf-8")
        command += ["-c", str(config_path)]
    with open(log_path, "w", encoding="utf-8") as log:
        completed = subprocess.run(
            command, cwd=REPO_ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT, timeout=JOB_TIMEOUT_SECONDS
        )
    if completed.returncode != 0:
        tail = log_path.read_text(encoding="utf-8", errors="replace")[-3000:]
        raise RuntimeError(f"dagster job execute failed with exit code {completed.returncode}:\n{tail}")


def _server_answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/server_info", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def _stop_process_group(process: subprocess.Popen) -> None:
    """Send SIGINT to the server's process group, then SIGKILL if it is still running after a grace period."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGINT)
        process.wait(timeout=SERVER_STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=SERVER_STOP_TIMEOUT_SECONDS)
    except ProcessLookupError:
        pass


@contextmanager
def running_dagster_dev(environment: dict[str, str], log_path: Path) -> Iterator[str]:
    """Start `dagster dev` on 127.0.0.1 at a free port, yield its base URL, and stop its process group afterwards.

    A process started from a background shell job inherits SIGINT as ignored,
    and dagster dev would then ignore the stop signal, so the child restores
    the default handler. It runs in its own session, so one killpg reaches the
    webserver, the daemon and the code servers.
    """
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with open(log_path, "w", encoding="utf-8") as log:
        process = subprocess.Popen(
            [str(DAGSTER_CLI), "dev", "-h", "127.0.0.1", "-p", str(port)],
            cwd=REPO_ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + SERVER_START_TIMEOUT_SECONDS
            while not _server_answers(url):
                if process.poll() is not None:
                    raise RuntimeError(f"dagster dev exited with code {process.returncode}; see {log_path}")
                if time.monotonic() > deadline:
                    raise TimeoutError(f"dagster dev did not answer on {url} within {SERVER_START_TIMEOUT_SECONDS} s")
                time.sleep(1)
            yield url
        finally:
            _stop_process_group(process)


@contextmanager
def headless_chromium(browser_path: str, driver_path: str) -> Iterator["webdriver.Chrome"]:  # noqa: F821
    """Yield a Selenium driver for headless Chromium with a new empty profile, and quit it afterwards."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    options = webdriver.ChromeOptions()
    options.binary_location = browser_path
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def page_text(driver) -> str:
    return driver.execute_script("return document.body.textContent")


def wait_for_text(driver, *texts: str, timeout: float = PAGE_TIMEOUT_SECONDS) -> None:
    """Wait until the page contains every one of `texts`; raise TimeoutException naming the missing ones."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        WebDriverWait(driver, timeout, poll_frequency=0.5).until(lambda d: all(text in page_text(d) for text in texts))
    except TimeoutException:
        missing = [text for text in texts if text not in page_text(driver)]
        raise TimeoutException(f"{driver.current_url} still lacks {missing} after {timeout} s") from None


def dismiss_community_prompt(driver, timeout: float = PROMPT_TIMEOUT_SECONDS) -> None:
    """Click "Skip" on the newsletter prompt that a new Dagster instance shows once, if it appears."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    skip = (By.XPATH, "//button[normalize-space()='Skip']")
    try:
        WebDriverWait(driver, timeout, poll_frequency=0.5).until(lambda d: d.find_elements(*skip))
    except TimeoutException:
        return
    driver.find_element(*skip).click()


def expand_sidebar_groups(driver) -> None:
    """Open every group in the asset tree beside the global lineage graph, so the tree lists each asset key."""
    from selenium.webdriver.common.by import By

    jump_box = driver.find_element(By.XPATH, "//input[starts-with(@placeholder, 'Jump to')]")
    tree_right_edge = jump_box.rect["x"] + jump_box.rect["width"]

    def carets():
        icons = driver.find_elements(By.CSS_SELECTOR, "[role=img][aria-label=arrow_drop_down]")
        return [icon for icon in icons if icon.rect["x"] < tree_right_edge]

    # Opening a group inserts its asset rows below it, so the carets are looked up again each time.
    for index in range(len(carets())):
        carets()[index].click()
