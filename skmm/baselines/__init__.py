"""Classical baselines over the same columns as the networks.

``make_baseline(text="review", image="photo")`` builds a plain scikit-learn
Pipeline: a ColumnTransformer of 2-D featurisers (TF-IDF, pooled pixels, MFCC
statistics, scaled numbers) into a linear model. It fits, predicts and grid
searches like any estimator, so it sits beside a fusion net in one search.
:class:`LinearRetrieval` (CCA or PLS over the same features) is the
baseline of :class:`~skmm.MultimodalEmbedder`, :class:`TfidfChoice` that of
:class:`~skmm.MultipleChoiceClassifier`, each with its estimator's methods.
"""

from .choice import TfidfChoice
from .features import MFCCStats, PooledPixels, make_baseline
from .retrieval import LinearRetrieval

__all__ = ["LinearRetrieval", "MFCCStats", "PooledPixels", "TfidfChoice", "make_baseline"]
