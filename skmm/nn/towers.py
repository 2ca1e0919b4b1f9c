"""Two towers: a query network and a target network that embed into one space.

Each side is a :class:`~skmm.nn.MultimodalNetwork` (its modalities' encoders,
a fusion and a head that projects to the embedding), whose output is
L2-normalised, so that a query and a target compare by cosine. The
retrieval estimator trains them with a contrastive loss
(:class:`SymmetricInfoNCE`); the multiple-choice one scores each row's
candidates with the same cosine (:class:`ChoiceTowers`).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from .losses import CrossEntropy, PerSampleLoss
from .model import MultimodalNetwork

#: CLIP's cap on the learned logit scale (a temperature of 0.01).
MAX_LOGIT_SCALE = 100.0
#: The score of a missing candidate: far below any cosine times the scale.
MASKED = -1e4


def side_present(network: MultimodalNetwork, batch: dict[str, dict[str, Tensor]]) -> Tensor:
    """Rows in which the side has at least one of its modalities."""
    names = [*network.encoders, *network.wide]
    masks = [batch[name]["present"] for name in names if "present" in batch[name]]
    n = len(next(iter(batch[names[0]].values())))
    if not masks:
        return torch.ones(n, dtype=torch.bool, device=batch[names[0]]["x"].device)
    return torch.stack(masks, dim=1).any(dim=1)


class TwoTowers(nn.Module):
    """A query and a target network, their outputs L2-normalised, and the logit scale.

    Parameters
    ----------
    query, target : MultimodalNetwork
        Each side's network; its output width is the embedding's.
    temperature : float
        Initial temperature of the similarities (the scale is its inverse).
    learn_temperature : bool
        Whether the (log) scale is trained.

    Examples
    --------
    >>> import torch
    >>> from torch import nn
    >>> from skmm.encoders import MLPEncoder
    >>> from skmm.fusion import ConcatFusion
    >>> from skmm.nn import MultimodalNetwork
    >>> from skmm.nn.towers import TwoTowers
    >>> def side(name):
    ...     return MultimodalNetwork({name: MLPEncoder(3, 8)}, ConcatFusion({name: 8}), nn.Linear(8, 4))
    >>> towers = TwoTowers(side("a"), side("b"), temperature=0.1, learn_temperature=True)
    >>> batch = {"a": {"x": torch.randn(5, 3)}, "b": {"x": torch.randn(5, 3)}}
    >>> q, t, scale, *_ = towers(batch)
    >>> q.shape, round(scale.item(), 3), bool(torch.allclose(q.norm(dim=1), torch.ones(5)))
    (torch.Size([5, 4]), 10.0, True)
    """

    def __init__(
        self, query: MultimodalNetwork, target: MultimodalNetwork, temperature: float = 0.07,
        learn_temperature: bool = False,
    ) -> None:
        super().__init__()
        self.query = query
        self.target = target
        self.log_scale = nn.Parameter(torch.tensor(math.log(1.0 / temperature)), requires_grad=learn_temperature)

    @property
    def wide(self) -> dict[str, nn.Module]:
        """Both sides' linear parts (each trained by its own SGD, as a classifier's)."""
        return {f"{side}_{name}": part for side in ("query", "target")
                for name, part in getattr(self, side).wide.items()}

    def scale(self) -> Tensor:
        """The logit scale, ``1 / temperature``, at most :data:`MAX_LOGIT_SCALE`."""
        return self.log_scale.exp().clamp(max=MAX_LOGIT_SCALE)

    def side(self, name: str) -> MultimodalNetwork:
        """The ``"query"`` or ``"target"`` network."""
        if name not in ("query", "target"):
            raise ValueError(f'side must be "query" or "target", got {name!r}.')
        return self.query if name == "query" else self.target

    def embed(self, batch: dict[str, dict[str, Tensor]], side: str = "query") -> Tensor:
        """One side's unit-norm embedding of each row, ``(n, embedding_dim)``."""
        return F.normalize(self.side(side)(batch), dim=1)

    def encode(self, batch: dict[str, dict[str, Tensor]]) -> dict[str, Tensor]:
        """Per-modality vectors (a modality on both sides: its query encoder's)."""
        return {**self.target.encode(batch), **self.query.encode(batch)}

    def forward(self, batch: dict[str, dict[str, Tensor]]) -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor]:
        """``(query embeddings, target embeddings, scale, query present, target present)``."""
        return (self.embed(batch, "query"), self.embed(batch, "target"), self.scale(),
                side_present(self.query, batch), side_present(self.target, batch))


class ChoiceTowers(TwoTowers):
    """Scores of each row's ``n_choices`` candidates: cosine of context and candidate, scaled.

    The query network reads the context (and question) modalities; the target
    network reads one candidate, its modality named ``"choice"``; a batch
    holds candidate ``j`` under ``"choice_<j>"``. The one candidate network
    embeds all of them (one pass over the stacked candidates). A missing
    candidate scores :data:`MASKED`.
    """

    def __init__(self, query: MultimodalNetwork, target: MultimodalNetwork, n_choices: int,
                 temperature: float = 0.07) -> None:
        super().__init__(query, target, temperature=temperature, learn_temperature=True)
        self.n_choices = n_choices

    def candidates(self, batch: dict[str, dict[str, Tensor]]) -> dict[str, dict[str, Tensor]]:
        """The candidates of a batch stacked (choice 0 of every row, then choice 1, ...) as ``"choice"``."""
        entries = [batch[f"choice_{j}"] for j in range(self.n_choices)]
        return {"choice": {key: torch.cat([e[key] for e in entries]) for key in entries[0]}}

    def forward(self, batch: dict[str, dict[str, Tensor]]) -> Tensor:  # type: ignore[override]
        """Scores ``(n, n_choices)``."""
        context = self.embed(batch, "query")
        stacked = self.candidates(batch)
        answers = self.embed(stacked, "target").view(self.n_choices, len(context), -1)
        scores = self.scale() * torch.einsum("nd,knd->nk", context, answers)
        present = side_present(self.target, stacked).view(self.n_choices, -1).T
        return scores.masked_fill(~present, MASKED)


class ScaledCrossEntropy(CrossEntropy):
    """Cross-entropy of :class:`ChoiceTowers`' scores: cosines times a scale of about ``scale``.

    Its curvature in the towers' outputs grows with the scale squared; a
    linear part's SGD step is capped by it (as :class:`SymmetricInfoNCE`'s).
    """

    def __init__(self, scale: float = 1.0) -> None:
        super().__init__()
        self.curvature = 0.5 * scale**2


class SymmetricInfoNCE(PerSampleLoss):
    """CLIP's loss: cross-entropy of query-to-target and target-to-query similarities, averaged.

    The prediction is :class:`TwoTowers`' output; the target, each row's
    group: rows of one group are each other's positives (with no labels,
    every row is its own group). A row's loss in each direction is the mean
    negative log-probability of its positives (supervised contrastive
    learning's). Rows lacking the query or the target side take no part:
    their loss is 0 and they are nobody's candidate.

    Examples
    --------
    >>> import torch
    >>> from skmm.nn.towers import SymmetricInfoNCE
    >>> q = torch.eye(3)
    >>> present = torch.ones(3, dtype=torch.bool)
    >>> loss = SymmetricInfoNCE()
    >>> good = loss((q, q, torch.tensor(10.0), present, present), torch.arange(3))
    >>> bad = loss((q, q.roll(1, 0), torch.tensor(10.0), present, present), torch.arange(3))
    >>> bool(good < 0.01 < bad)
    True
    """

    def __init__(self, scale: float = 1.0) -> None:
        super().__init__()
        # Softmax cross-entropy has curvature 1/2 in its logits, here the outputs' cosines times
        # ``scale``: what caps a linear part's SGD step (skmm.estimators.skorch_net.stable_lr).
        self.curvature = 0.5 * scale**2

    def per_sample(self, pred, groups):
        query, target, scale, query_present, target_present = pred
        valid = query_present & target_present
        logits = scale * query @ target.T
        both = valid[:, None] & valid[None, :]
        logits = logits.masked_fill(~both, MASKED)
        positive = (groups[:, None] == groups[None, :]) & both
        count = positive.sum(1).clamp(min=1)
        to_target = -(F.log_softmax(logits, dim=1) * positive).sum(1) / count
        to_query = -(F.log_softmax(logits, dim=0) * positive).sum(0) / count
        return torch.where(valid, (to_target + to_query) / 2, torch.zeros_like(to_target))
