"""Cleaning of training texts and the sanitiser applied to every generated comment."""

import random

import pytest

from moment_pipelines.ml.comment_generation.cleaning import (
    clean_text,
    collapse_repeats,
    contains_personal_data,
    sanitize_comment,
)

SANITIZED = [
    ("快来http://t.cn/RxyZ12看看吧", "快来看看吧"),
    ("看t.cn/abc很好", "看很好"),
    ("www.example.com真好", "真好"),
    ("详情 HTTPS://Example.COM/a?b=1 ok", "详情 ok"),
    ("@小明 你好", "你好"),
    ("回复@小明:说得对", "说得对"),
    ("＠小红 一起去", "一起去"),
    ("电话13812345678找我", "电话找我"),
    ("电话 138-1234-5678", "电话"),
    ("+86 138 1234 5678 联系", "联系"),
    ("座机010-12345678", "座机"),
    ("全角１３８１２３４５６７８号码", "全角号码"),
    ("今年2025年", "今年2025年"),
]


@pytest.mark.parametrize(("text", "expected"), SANITIZED)
def test_sanitize_removes_personal_data(text, expected):
    assert sanitize_comment(text) == expected


def test_sanitize_catches_joined_halves():
    # Removing the handle joins "138" and "12345678" into one phone number.
    assert sanitize_comment("138@x 12345678") == ""


def test_sanitized_fuzz_has_no_personal_data():
    pieces = ["好", "哈哈", " ", "@", "＠", "小明", ":", "138", "1234", "5678", "-", ".", "http://", "www.", "t.cn/", "com", "abc", "/", "0"]
    generator = random.Random(0)
    for _ in range(3000):
        text = "".join(generator.choice(pieces) for _ in range(generator.randint(1, 12)))
        cleaned = sanitize_comment(text)

        assert not contains_personal_data(cleaned), (text, cleaned)


def test_collapse_repeats_keeps_three():
    assert collapse_repeats("哈哈哈哈哈哈哈") == "哈哈哈"
    assert collapse_repeats("好好") == "好好"
    assert collapse_repeats("!!!!??") == "!!!??"


def test_clean_text_is_idempotent():
    generator = random.Random(1)
    pieces = ["哈", "哈哈哈哈", "@小明 ", "http://t.cn/x", " ", "13812345678", "好", "！！！！"]
    for _ in range(500):
        text = "".join(generator.choice(pieces) for _ in range(generator.randint(0, 8)))
        once = clean_text(text)

        assert clean_text(once) == once


def test_clean_text_none_is_empty():
    assert clean_text(None) == ""
