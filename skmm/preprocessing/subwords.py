"""Character n-grams of words (fastText's subwords) as ids beside the word ids."""

from __future__ import annotations

from collections import Counter

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer


def subword_analyzer(ngram_range):
    """scikit-learn's ``char_wb`` analyzer: n-grams of one word padded with spaces."""
    return CountVectorizer(
        analyzer="char_wb", ngram_range=tuple(ngram_range), lowercase=False
    ).build_analyzer()


def learn_subwords(word_counts, ngram_range, min_freq, first_id):
    """Subword -> id for the n-grams of ``word_counts``' words seen ``min_freq`` times.

    Parameters
    ----------
    word_counts : Counter
        Word -> occurrences in the training texts (each occurrence counts
        its n-grams once).
    ngram_range : (int, int)
    min_freq : int
    first_id : int
        Id of the first subword (after the word ids).
    """
    analyze = subword_analyzer(ngram_range)
    counts = Counter()
    for word, count in word_counts.items():
        for gram in analyze(word):
            counts[gram] += count
    kept = sorted((g for g, c in counts.items() if c >= min_freq), key=lambda g: (-counts[g], g))
    return {gram: first_id + i for i, gram in enumerate(kept)}


class SubwordRows:
    """Builds ``(max_len, 1 + max_subwords)`` id rows: word id, then its n-gram ids.

    Each distinct word's row is computed once and cached, so a column of
    repeated words costs one analysis per word.
    """

    def __init__(self, word_ids, subword_ids, ngram_range, max_subwords):
        self.word_ids = word_ids
        self.subword_ids = subword_ids
        self.analyze = subword_analyzer(ngram_range)
        self.width = 1 + max_subwords
        self.cache = {}

    def word_row(self, word, word_id):
        row = self.cache.get(word)
        if row is None:
            lookup = self.subword_ids.get
            # Unseen n-grams carry nothing learned: they are left out (0).
            grams = [i for i in map(lookup, self.analyze(word)) if i is not None]
            row = np.zeros(self.width, dtype=np.int64)
            row[0] = word_id
            grams = grams[: self.width - 1]
            row[1: 1 + len(grams)] = grams
            self.cache[word] = row
        return row
