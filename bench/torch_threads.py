"""Benchmark: PyTorch CPU training speed by thread count and OpenMP wait policy.

A GRU language-model step (the shape of the comment generator's decoder) is
trained for a fixed number of batches in a fresh process for each setting,
because OpenMP reads OMP_WAIT_POLICY only once, when torch is imported:

- 1 thread;
- all cores with OpenMP's default wait policy (threads spin while waiting);
- all cores with OMP_WAIT_POLICY=PASSIVE (threads sleep while waiting), the
  value that moment_pipelines sets unless the environment already has one.

The difference shows when other processes use the cores too, as Dagster's
multiprocess executor does when it runs two steps at once. Pass
--busy-processes N to start N busy-looping processes during the measurement,
which imitates such a neighbour on an otherwise idle machine. The load
average is printed with the times.

Usage:
    .venv/bin/python bench/torch_threads.py
    .venv/bin/python bench/torch_threads.py --busy-processes 2
"""

import argparse
import json
import multiprocessing
import os
import subprocess
import sys
import time

TRAINING_STEP = """
import json, sys, time
import torch
torch.manual_seed(0)
threads = int(sys.argv[1])
if threads:
    torch.set_num_threads(threads)
encoder = torch.nn.GRU(256, 256, batch_first=True)
output = torch.nn.Linear(256, 8000)
optimizer = torch.optim.Adam([*encoder.parameters(), *output.parameters()])
inputs = torch.randn(64, 20, 256)
targets = torch.randint(0, 8000, (64 * 20,))
started = time.perf_counter()
for _ in range(int(sys.argv[2])):
    hidden, _ = encoder(inputs)
    loss = torch.nn.functional.cross_entropy(output(hidden).reshape(-1, 8000), targets)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print(json.dumps({"seconds": time.perf_counter() - started, "threads": torch.get_num_threads()}))
"""


def busy_loop() -> None:
    while True:
        pass


def run_setting(threads: int, wait_policy: str | None, batches: int) -> dict:
    """Train in a new process with the given thread count and OMP_WAIT_POLICY, and return its timing."""
    environment = dict(os.environ)
    environment.pop("OMP_WAIT_POLICY", None)
    if wait_policy is not None:
        environment["OMP_WAIT_POLICY"] = wait_policy
    completed = subprocess.run(
        [sys.executable, "-c", TRAINING_STEP, str(threads), str(batches)],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
        timeout=900,
    )
    return json.loads(completed.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description="测量 PyTorch CPU 训练速度与线程数、OpenMP 等待策略的关系")
    parser.add_argument("--batches", type=int, default=15, help="每种设置训练的批次数")
    parser.add_argument("--busy-processes", type=int, default=0, help="测量期间另外启动的空转进程数，模拟同时运行的其他步骤")
    arguments = parser.parse_args()

    neighbours = [multiprocessing.Process(target=busy_loop, daemon=True) for _ in range(arguments.busy_processes)]
    for process in neighbours:
        process.start()
    try:
        settings = [
            ("1 个线程", 1, None),
            ("全部核，OpenMP 默认等待（自旋）", 0, None),
            ("全部核，OMP_WAIT_POLICY=PASSIVE", 0, "PASSIVE"),
        ]
        print(f"CPU 核数 {os.cpu_count()}，空转进程 {arguments.busy_processes} 个，负载 {os.getloadavg()[0]:.2f}")
        print("| 设置 | 线程数 | 训练秒 | 批次/秒 | 含进程启动秒 |")
        print("|---|---|---|---|---|")
        results = {}
        for label, threads, wait_policy in settings:
            started = time.perf_counter()
            timing = run_setting(threads, wait_policy, arguments.batches)
            results[label] = timing["seconds"]
            total = time.perf_counter() - started
            rate = arguments.batches / timing["seconds"]
            print(f"| {label} | {timing['threads']} | {timing['seconds']:.2f} | {rate:.2f} | {total:.1f} |")
        spin = results["全部核，OpenMP 默认等待（自旋）"]
        passive = results["全部核，OMP_WAIT_POLICY=PASSIVE"]
        print(f"自旋 / PASSIVE = {spin / passive:.2f}×，负载 {os.getloadavg()[0]:.2f}")
    finally:
        for process in neighbours:
            process.terminate()


if __name__ == "__main__":
    main()
