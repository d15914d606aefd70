"""Baselines that the like classifier must beat, fitted on the same training split.

- popularity: ranks candidates by how many likes the moment already had at
  the event time. A one-feature logistic regression on log1p of that count
  turns the ranking into probabilities without changing its order;
- logistic regression on the same encoded features as the network;
- scikit-learn's HistGradientBoostingClassifier on the raw features, a strong
  default for tabular data.
"""

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression

from moment_pipelines.ml.preprocessing import FeatureSpec


def fit_popularity(likes_before: np.ndarray, label: np.ndarray) -> LogisticRegression:
    """Fit probability = sigmoid(a * log1p(likes) + b) on the training rows."""
    model = LogisticRegression()
    model.fit(np.log1p(likes_before).reshape(-1, 1), label)
    return model


def predict_popularity(model: LogisticRegression, likes_before: np.ndarray) -> np.ndarray:
    return model.predict_proba(np.log1p(likes_before).reshape(-1, 1))[:, 1]


def fit_logistic_regression(encoded: np.ndarray, label: np.ndarray, seed: int) -> LogisticRegression:
    """Fit an L2-regularised logistic regression on standardised and one-hot encoded features."""
    model = LogisticRegression(max_iter=1000, random_state=seed)
    model.fit(encoded, label)
    return model


def tree_features(frame: pd.DataFrame, specs: list[FeatureSpec]) -> pd.DataFrame:
    """Return the raw model inputs with category columns as pandas categoricals, as the trees expect."""
    features = frame[[spec.name for spec in specs]].astype("float64")
    for spec in specs:
        if spec.kind == "category":
            features[spec.name] = features[spec.name].astype("category")
    return features


def fit_gradient_boosting(features: pd.DataFrame, label: np.ndarray, seed: int) -> HistGradientBoostingClassifier:
    model = HistGradientBoostingClassifier(random_state=seed, categorical_features="from_dtype")
    model.fit(features, label)
    return model
