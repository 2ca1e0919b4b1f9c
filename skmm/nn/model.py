"""The multimodal network: encoders -> fusion -> head."""

from __future__ import annotations

from torch import nn


class MultimodalNetwork(nn.Module):
    """Encode each modality, fuse, map to outputs.

    A batch is ``{name: {"x": Tensor, "lengths": Tensor (sequences),
    "present": bool Tensor (n,) (optional)}}``; ``present`` False marks a
    sample that lacks the modality.

    Two kinds of fusion (see :mod:`skmm.nn.fusion`):

    * a vector fusion takes the encoders' vectors:
      ``fusion({name: (n, output_dim)}, present)``;
    * a batch fusion (``fusion.takes_batch`` true) takes the raw batch and the
      encoders, ``fusion(batch, encoders, present)``, and calls them itself,
      for fusions that need more than one vector per modality (step states
      for cross-attention, a condition passed into another encoder). If it
      has ``bind(encoders)``, the network calls it once here, so the fusion
      can check the encoders and create layers sized from them before the
      optimiser sees the parameters.

    ``present`` is a dict of the batch entries' "present" tensors, or None
    when no entry has one (then fusions are called without it).

    Parameters
    ----------
    encoders : dict of str -> nn.Module
        One encoder per modality, each with ``output_dim``.
    fusion : nn.Module
        Has ``output_dim``.
    head : nn.Module
        Maps the fused vector to the outputs (logits or values);
        ``nn.Identity`` after a fusion that already produces them.
    wide : dict of str -> nn.Module or None
        The wide part: per sparse modality, a linear map of its features to
        the outputs, added to the head's (with no ``encoders``, the whole
        network; ``fusion`` and ``head`` are then None).

    Examples
    --------
    >>> import torch
    >>> from torch import nn
    >>> from skmm.nn import AttentionFusion, MLPEncoder, MultimodalNetwork, RecurrentEncoder
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

    def __init__(self, encoders, fusion, head, wide=None):
        super().__init__()
        self.encoders = nn.ModuleDict(encoders)
        self.fusion = fusion
        self.head = head
        self.wide = nn.ModuleDict(wide or {})
        if getattr(fusion, "takes_batch", False) and hasattr(fusion, "bind"):
            fusion.bind(self.encoders)

    def encode(self, batch):
        """Per-modality vectors of a batch ``{name: {"x": ..., "lengths": ...}}``."""
        return {
            name: encoder(batch[name]["x"], batch[name].get("lengths"))
            for name, encoder in self.encoders.items()
        }

    @staticmethod
    def present(batch):
        """``{name: bool (n,)}`` of the entries that carry "present", or None."""
        present = {name: entry["present"] for name, entry in batch.items() if "present" in entry}
        return present or None

    def fuse(self, batch):
        """The fused vector (or, after a late fusion, the outputs) of a batch."""
        batch = {name: batch[name] for name in self.encoders}  # the wide part is apart
        present = self.present(batch)
        if getattr(self.fusion, "takes_batch", False):
            return self.fusion(batch, self.encoders, present)
        features = self.encode(batch)
        return self.fusion(features) if present is None else self.fusion(features, present)

    def forward(self, batch):
        out = self.head(self.fuse(batch)) if len(self.encoders) else None
        for name, linear in self.wide.items():
            # Wide & deep: linear scores of sparse features add to the deep part's.
            scores = linear(batch[name]["x"])
            out = scores if out is None else out + scores
        return out

    def modality_weights(self, batch):
        """Per-sample weight of each modality, ``(n, n_modalities)``, in sorted-name order.

        For fusions that weigh modalities: attention (softmax weights), gated
        (mean gate of each modality), late with ``weights="learned"``. Absent
        modalities get 0. Runs in the current train/eval mode and grad
        setting (use ``eval()`` and ``torch.no_grad()`` to read them).
        """
        if not hasattr(self.fusion, "modality_weights"):
            raise ValueError(
                f"{type(self.fusion).__name__} has no per-modality weights; they exist for "
                "fusion='attention', 'gated' and Late(weights='learned')."
            )
        return self.fusion.modality_weights(self.encode(batch), self.present(batch))


def make_head(in_features, hidden_size, n_outputs, dropout):
    """Two-layer MLP head."""
    return nn.Sequential(
        nn.Linear(in_features, hidden_size), nn.ReLU(), nn.Dropout(dropout),
        nn.Linear(hidden_size, n_outputs),
    )
