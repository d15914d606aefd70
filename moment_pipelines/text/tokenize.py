"""jieba tokenisation with its dictionary cache under the project's cache directory.

jieba builds a prefix dictionary on first use and caches it as a file, by
default in the system temp directory. `jieba_tokenizer` points that cache at
`data/cache` (or `MOMENTS_CACHE_DIR`), creates the folder on demand and
initialises jieba's default tokenizer once per process, so every scenario
that tokenises text shares one set-up.
"""

import logging
import os
import threading
from pathlib import Path

import jieba

CACHE_DIR_VAR = "MOMENTS_CACHE_DIR"
DEFAULT_CACHE_DIR = "data/cache"
JIEBA_CACHE_FILE = "jieba.cache"

_lock = threading.Lock()


def cache_dir() -> Path:
    """Return the project cache directory: MOMENTS_CACHE_DIR, else data/cache under the working directory."""
    return Path(os.environ.get(CACHE_DIR_VAR) or DEFAULT_CACHE_DIR).expanduser().absolute()


def jieba_tokenizer(directory: Path | None = None) -> jieba.Tokenizer:
    """Return jieba's default tokenizer, initialised with its cache file in `directory` (default `cache_dir()`).

    The first call in a process loads the dictionary, which takes about a
    second (longer while the cache file is built). Later calls return at
    once, and the cache location of the first call wins.
    """
    tokenizer = jieba.dt
    with _lock:
        if not tokenizer.initialized:
            directory = directory or cache_dir()
            directory.mkdir(parents=True, exist_ok=True)
            tokenizer.tmp_dir = str(directory)
            tokenizer.cache_file = JIEBA_CACHE_FILE
            # jieba logs "Building prefix dict ..." through its own handler; keep warnings only.
            jieba.setLogLevel(logging.WARNING)
            tokenizer.initialize()
    return tokenizer


def tokenize(text: str, hmm: bool = True) -> list[str]:
    """Split `text` into jieba tokens (precise mode); `hmm` lets jieba guess words missing from its dictionary."""
    return jieba_tokenizer().lcut(text, HMM=hmm)
