"""The multimodal network: encoders -> fusion -> head."""

from __future__ import annotations

from typing import Mapping

from torch import Tensor, nn

from ..balance.base import BalanceModule, Parts
from ..fusion import FusionModule


class MultimodalNetwork(nn.Module):
    """Encode each modality, fuse, map to outputs.

    A batch is ``{name: {"x": Tensor, "lengths": Tensor (sequences),
    "present": bool Tensor (n,) (optional)}}``; ``present`` False marks a
    sample that lacks the modality.

    Two kinds of fusion (see :class:`skmm.fusion.FusionModule`):

    * a vector fusion takes the encoders' vectors:
      ``fusion({name: (n, output_dim)}, present)``;
    * a batch fusion (:class:`skmm.fusion.BatchFusion`, ``takes_batch``
      true) takes the raw batch and the encoders, ``fusion(batch, encoders,
      present)``, and calls them itself, for fusions that need more than one
      vector per modality (step states for cross-attention, a condition
      passed into another encoder). The network calls its
      ``bind(encoders)`` once here, so the fusion can check the encoders and
      create layers sized from them before the optimiser sees the
      parameters.

    ``present`` is a dict of the batch entries' "present" tensors, or None
    when no entry has one (then fusions are called without it).

    Parameters
    ----------
    encoders : dict of str -> skmm.encoders.EncoderModule
        One encoder per modality, each with ``output_dim``.
    fusion : skmm.fusion.FusionModule
    head : nn.Module
        Maps the fused vector to the outputs (logits or values);
        ``nn.Identity`` after a fusion that already produces them.
    wide : dict of str -> nn.Module or None
        The wide part: per sparse modality, a linear map of its features to
        the outputs, added to the head's (with no ``encoders``, the whole
        network; ``fusion`` and ``head`` are then None).
    balance : skmm.balance.BalanceModule or None
        Per-modality heads and the rule that forms the outputs from them
        and the fused head (see :mod:`skmm.balance`); None: the fused head
        alone, trained on its own loss.

    Examples
    --------
    >>> import torch
    >>> from torch import nn
    >>> from skmm.encoders import MLPEncoder, RecurrentEncoder
    >>> from skmm.fusion import AttentionFusion
    >>> from skmm.nn import MultimodalNetwork
    >>> encoders = {"text": RecurrentEncoder(None, 8, vocab_size=50), "x": MLPEncoder(4, 16)}
    >>> fusion = AttentionFusion({"text": 16, "x": 16}, hidden_size=16)
    >>> network = MultimodalNetwork(encoders, fusion, nn.Linear(16, 3))
    >>> batch = {
    ...     "text": {"x": torch.randint(1, 50, (5, 6)), "lengths": torch.tensor([6, 5, 4, 2, 1])},
    ...     "x": {"x": torch.randn(5, 4), "present": torch.tensor([True, True, False, True, False])},
    ... }
    >>> network(batch).shape
    torch.Size([5, 3])

    Samples without ``"x"`` weigh only the text:

    >>> network.modality_weights(batch)[:, 1].eq(0).tolist()
    [False, False, True, False, True]
    """

    def __init__(
        self, encoders: Mapping[str, nn.Module], fusion: FusionModule | None, head: nn.Module | None,
        wide: Mapping[str, nn.Module] | None = None, balance: BalanceModule | None = None,
    ) -> None:
        super().__init__()
        # No fusion (and no head) only for a network that is its wide part alone.
        if not (isinstance(fusion, FusionModule) or (fusion is None and not encoders and wide)):
            raise TypeError(
                f"fusion must be an skmm.fusion.FusionModule (or BatchFusion), got {type(fusion).__name__}."
            )
        self.encoders = nn.ModuleDict(encoders)
        self.fusion = fusion
        self.head = head
        self.wide = nn.ModuleDict(wide or {})
        self.balance = balance
        if fusion is not None and fusion.takes_batch:
            fusion.bind(self.encoders)

    def train(self, mode: bool = True) -> MultimodalNetwork:
        super().train(mode)
        balance = getattr(self, "balance", None)
        if mode and balance is not None:
            # A member a balance option has frozen keeps its normalisation statistics and dropout off.
            for module in balance.frozen_modules(self):
                module.eval()
        return self

    def encode(self, batch: dict[str, dict[str, Tensor]]) -> dict[str, Tensor]:
        """Per-modality vectors of a batch ``{name: {"x": ..., "lengths": ...}}`` (its modalities only)."""
        return {
            name: self._cached(name, batch[name], lambda e=encoder, b=batch[name]: e(b["x"], b.get("lengths")))
            for name, encoder in self.encoders.items() if name in batch
        }

    def _cached(self, key: str, entry: dict[str, Tensor], compute):
        """``compute()``, or its value kept by row once every encoder is frozen (skmm.balance.frozen_outputs)."""
        cache = getattr(self, "frozen_outputs", None)
        if cache is None or "rows" not in entry:
            return compute()
        return cache.get(key, entry["rows"], compute)

    @staticmethod
    def present(batch: dict[str, dict[str, Tensor]]) -> dict[str, Tensor] | None:
        """``{name: bool (n,)}`` of the entries that carry "present", or None."""
        present = {name: entry["present"] for name, entry in batch.items() if "present" in entry}
        return present or None

    def fuse(self, batch: dict[str, dict[str, Tensor]]) -> Tensor:
        """The fused vector (or, after a late fusion, the outputs) of a batch."""
        batch = {name: batch[name] for name in self.encoders}  # the wide part is apart
        present = self.present(batch)
        if self.fusion.takes_batch:
            return self.fusion(batch, self.encoders, present)
        features = self.encode(batch)
        return self.fusion(features) if present is None else self.fusion(features, present)

    def _wide_scores(self, batch: dict[str, dict[str, Tensor]]) -> dict[str, Tensor]:
        return {
            name: self._cached(f"wide:{name}", batch[name], lambda lin=linear, b=batch[name]: lin(b["x"]))
            for name, linear in self.wide.items()
        }

    def forward(self, batch: dict[str, dict[str, Tensor]]) -> Tensor:
        if getattr(self, "balance", None) is not None:  # networks pickled before balance have none
            return self.parts(batch).output
        out = self.head(self.fuse(batch)) if len(self.encoders) else None
        for scores in self._wide_scores(batch).values():
            # Wide & deep: linear scores of sparse features add to the deep part's.
            out = scores if out is None else out + scores
        return out

    def parts(self, batch: dict[str, dict[str, Tensor]], pass_: str | None = None) -> Parts:
        """The fused head's, each modality's head's and the final outputs of a batch.

        ``pass_`` names one training pass of the balance option (a
        modality: only its encoder and head run; see
        :meth:`skmm.balance.BalanceModule.passes`); None runs everything.
        A modality's linear part (``wide``) adds to its own head's outputs
        as to the fused head's.
        """
        balance = self.balance
        encoded = {name: batch[name] for name in self.encoders}
        present = self.present(encoded)
        wide = self._wide_scores(batch)
        if pass_ is not None and pass_ in self.encoders:
            features = {pass_: self.encoders[pass_](encoded[pass_]["x"], encoded[pass_].get("lengths"))}
            unimodal = self._with_wide(balance.heads_of(features), wide)
            return Parts(unimodal[pass_], None, unimodal, present)
        heads = balance.training_heads() if self.training and pass_ is None else None
        heads = (list(self.encoders) if heads is None else heads) if pass_ is None else []
        fused = None
        if balance.uses_fusion:
            if self.fusion.takes_batch:
                vector = self.fusion(encoded, self.encoders, present)
                # A batch fusion calls the encoders itself: the heads need their vectors again.
                features = self.encode({name: encoded[name] for name in heads})
            else:
                features = self.encode(encoded)
                vector = self.fusion(features) if present is None else self.fusion(features, present)
            fused = self.head(vector)
            for scores in wide.values():
                fused = fused + scores
        else:
            features = self.encode({name: encoded[name] for name in heads})
        unimodal = self._with_wide(balance.heads_of({n: features[n] for n in heads}), wide) if heads else {}
        output = balance.output(fused, unimodal, present) if pass_ is None else fused
        return Parts(output, fused, unimodal, present)

    def _with_wide(self, unimodal: dict[str, Tensor], wide: dict[str, Tensor]) -> dict[str, Tensor]:
        out = dict(unimodal)
        for name, scores in wide.items():
            # A modality's linear part is part of its own member; a sparse modality with no encoder is one.
            out[name] = out[name] + scores if name in out else scores
        return out

    def modality_weights(self, batch: dict[str, dict[str, Tensor]]) -> Tensor:
        """Per-sample weight of each modality, ``(n, n_modalities)``, in sorted-name order.

        For fusions that weigh modalities: attention (softmax weights), gated
        (mean gate of each modality), late with ``weights="learned"``. Absent
        modalities get 0. Runs in the current train/eval mode and grad
        setting (use ``eval()`` and ``torch.no_grad()`` to read them).
        """
        return self.fusion.modality_weights(self.encode(batch), self.present(batch))

