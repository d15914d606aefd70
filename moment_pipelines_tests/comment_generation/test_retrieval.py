"""Bag-of-words baselines: TF-IDF retrieval and the most common comment."""

from moment_pipelines.ml.comment_generation.retrieval import FrequencyBaseline, TfidfRetrieval

MOMENTS = [list("今天吃火锅"), list("周末去爬山"), list("今天吃火锅"), list("猫睡觉")]
COMMENTS = ["看起来好好吃", "注意安全", "求地址", "好可爱"]


def test_frequency_returns_most_common_comment():
    baseline = FrequencyBaseline.fit(["好棒", "哈哈哈", "好棒", "赞"], keep=2)

    assert baseline.top_comments == [("好棒", 2), ("哈哈哈", 1)]
    assert baseline.generate("随便什么") == "好棒"


def test_retrieval_answers_nearest_moment():
    index = TfidfRetrieval.fit(MOMENTS, COMMENTS, tokenization="char")

    assert index.generate("周末爬山") == "注意安全"
    assert index.generate("我的猫") == "好可爱"


def test_identical_moments_share_one_row():
    index = TfidfRetrieval.fit(MOMENTS, COMMENTS, tokenization="char")

    assert index.moment_count == 3


def test_no_shared_word_falls_back_to_most_common():
    index = TfidfRetrieval.fit(MOMENTS, ["好棒", "好棒", "求地址", "好可爱"], tokenization="char")

    assert index.generate("完全无关") == "好棒"


def test_outputs_are_sanitized():
    index = TfidfRetrieval.fit([list("火锅")], ["加我13812345678 看 http://t.cn/x @小明"], tokenization="char")
    frequency = FrequencyBaseline([("私信@小红 www.example.com", 3)])

    assert index.generate("火锅") == "加我 看"
    assert frequency.generate("火锅") == "私信"


def test_save_and_load(tmp_path):
    index = TfidfRetrieval.fit(MOMENTS, COMMENTS, tokenization="char")
    path = tmp_path / "index.joblib"
    index.save(path)

    restored = TfidfRetrieval.load(path)

    assert restored.generate("周末爬山") == "注意安全"
    assert restored.tokenization == "char"
