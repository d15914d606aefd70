"""Chinese text helpers: jieba tokenisation with a project cache and lexicon-based sentiment."""
