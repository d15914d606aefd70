"""Bag-of-words baselines: both return a comment that someone already wrote.

- `FrequencyBaseline` ignores the moment and returns the most common training comment.
- `TfidfRetrieval` represents each training moment as a TF-IDF weighted bag
  of words, finds the training moment most similar to the new one (cosine
  similarity) and returns the most common comment written under it.

Neither can write a new sentence, but both are strong on data where a few
short comments ("好棒", "哈哈哈") dominate, so a sequence model has to beat them
to be worth its training time.
"""

from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path

import joblib
import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from moment_pipelines.ml.comment_generation.cleaning import clean_text, sanitize_comment
from moment_pipelines.ml.comment_generation.tokens import Tokenization, tokenize


class FrequencyBaseline:
    """Returns the most common training comment for every moment."""

    name = "frequency"

    def __init__(self, top_comments: list[tuple[str, int]]):
        if not top_comments:
            raise ValueError("the frequency baseline needs at least one comment")
        self.top_comments = top_comments  # (comment, count), most common first

    @classmethod
    def fit(cls, comments: Sequence[str], keep: int = 20) -> "FrequencyBaseline":
        """Count cleaned comments and keep the `keep` most common; ties go to the comment seen first."""
        counts = Counter(comment for comment in comments if comment)
        return cls(counts.most_common(keep))

    def generate(self, moment_text: str) -> str:
        return sanitize_comment(self.top_comments[0][0])


class TfidfRetrieval:
    """Returns the most common comment of the training moment nearest to the input by TF-IDF cosine similarity."""

    name = "retrieval"

    def __init__(
        self,
        vectorizer: TfidfVectorizer,
        moment_vectors,
        moment_comments: list[str],
        fallback: str,
        tokenization: Tokenization,
    ):
        self.vectorizer = vectorizer
        self.moment_vectors = moment_vectors  # sparse [moments, terms], rows L2-normalised
        self.moment_comments = moment_comments  # moment_comments[i] is the comment returned for training moment i
        self.fallback = fallback  # returned when no training moment shares a word with the input
        self.tokenization = tokenization

    @classmethod
    def fit(
        cls, moment_tokens: Sequence[Sequence[str]], comments: Sequence[str], tokenization: Tokenization
    ) -> "TfidfRetrieval":
        """Index the distinct training moments; identical moment texts share one row and pool their comments."""
        if len(moment_tokens) != len(comments):
            raise ValueError(f"{len(moment_tokens)} moments but {len(comments)} comments")
        comments_by_moment: dict[tuple[str, ...], Counter[str]] = defaultdict(Counter)
        for tokens, comment in zip(moment_tokens, comments):
            if tokens and comment:
                comments_by_moment[tuple(tokens)][comment] += 1
        if not comments_by_moment:
            raise ValueError("the retrieval baseline needs at least one pair with moment tokens and a comment")

        moments = list(comments_by_moment)
        moment_comments = [comments_by_moment[moment].most_common(1)[0][0] for moment in moments]
        # The documents are token lists already, so the analyzer only splits on the spaces joined in below.
        vectorizer = TfidfVectorizer(analyzer=str.split, sublinear_tf=True)
        moment_vectors = vectorizer.fit_transform(" ".join(moment) for moment in moments)
        fallback = Counter(comment for comment in comments if comment).most_common(1)[0][0]
        return cls(vectorizer, moment_vectors, moment_comments, fallback, tokenization)

    def most_similar(self, tokens: Sequence[str]) -> tuple[int, float]:
        """Return the index of the most similar training moment and its cosine similarity (0 to 1)."""
        query = self.vectorizer.transform([" ".join(tokens)])
        similarities = (self.moment_vectors @ query.T).toarray().ravel()  # [moments]
        best = int(np.argmax(similarities))
        return best, float(similarities[best])

    def generate(self, moment_text: str) -> str:
        tokens = tokenize(clean_text(moment_text), self.tokenization)
        best, similarity = self.most_similar(tokens)
        comment = self.moment_comments[best] if similarity > 0 else self.fallback
        return sanitize_comment(comment)

    @property
    def moment_count(self) -> int:
        return self.moment_vectors.shape[0]

    def save(self, path: Path) -> None:
        """Write the fitted index with joblib; load it only from a file whose sha256 was checked (joblib unpickles)."""
        joblib.dump(
            {
                "vectorizer": self.vectorizer,
                "moment_vectors": self.moment_vectors,
                "moment_comments": self.moment_comments,
                "fallback": self.fallback,
                "tokenization": self.tokenization,
            },
            path,
        )

    @classmethod
    def load(cls, path: Path) -> "TfidfRetrieval":
        return cls(**joblib.load(path))
