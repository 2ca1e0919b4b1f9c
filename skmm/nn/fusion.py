"""Fusion modules: per-modality encodings -> one vector (or the outputs) per sample.

Every fusion reads modalities in sorted-name order and exposes
``output_dim``. Two call conventions:

* vector fusions: ``forward(features, present=None)`` with ``features`` a
  dict ``{name: (n, dim)}`` of the encoders' vectors;
* batch fusions (``takes_batch = True``; cross-attention, conditioning),
  which need more than the vectors: ``forward(batch, encoders, present=None)``
  with the raw batch ``{name: {"x": ..., "lengths": ...}}`` and the encoders
  (an ``nn.ModuleDict``; the network owns them, the fusion only calls them).
  Such a fusion may define ``bind(encoders)``, which
  :class:`~skmm.nn.MultimodalNetwork` calls once at construction, to check
  the encoders and create layers sized from them (e.g. ``step_dim``).

``present`` is None or a dict ``{name: bool (n,)}`` (a missing name: present
in every sample). An absent modality contributes nothing, and a sample with
no modality present gives finite outputs.

A fusion with ``is_output = True`` already produces the network's outputs
(``output_dim == n_outputs``); the network then needs no head. Fusions with
per-modality weights implement ``modality_weights(features, present=None) ->
(n, n_modalities)``.
"""

from __future__ import annotations

import math

import torch
from torch import nn


def present_mask(present, names, n, device):
    """(n, len(names)) bool from a ``present`` dict, or None when everything is present."""
    if not present:
        return None
    columns = []
    for name in names:
        column = present.get(name)
        if column is None:
            column = torch.ones(n, dtype=torch.bool, device=device)
        columns.append(column.to(device=device, dtype=torch.bool).reshape(n))
    return torch.stack(columns, dim=1)


def masked_softmax(logits, mask, dim=1):
    """Softmax over ``dim`` among True entries of ``mask`` (broadcastable).

    Rows with no True entry get all-zero weights (never NaN, in values or
    gradients).
    """
    if mask is None:
        return torch.softmax(logits, dim=dim)
    mask = mask.expand_as(logits)
    any_present = mask.any(dim=dim, keepdim=True)
    usable = mask | ~any_present
    weights = torch.softmax(logits.masked_fill(~usable, float("-inf")), dim=dim)
    return weights * any_present


def _first(features):
    return next(iter(features.values()))


def _zero_absent(vectors, mask):
    """Stacked (n, M, d) or list of (n, d_m) -> same, absent modalities zeroed."""
    if mask is None:
        return vectors
    if isinstance(vectors, torch.Tensor):
        return vectors * mask.unsqueeze(-1).to(vectors.dtype)
    return [v * mask[:, i : i + 1].to(v.dtype) for i, v in enumerate(vectors)]


class ConcatFusion(nn.Module):
    """Early (feature-level) fusion: concatenate the modality vectors.

    An absent modality's vector is zeros.

    Parameters
    ----------
    dims : dict of str -> int
        Each modality's vector size.

    Examples
    --------
    >>> import torch
    >>> features = {"a": torch.randn(5, 8), "b": torch.randn(5, 4)}
    >>> from skmm.nn import ConcatFusion
    >>> fusion = ConcatFusion({"a": 8, "b": 4})
    >>> fusion(features).shape
    torch.Size([5, 12])

    Samples without ``"b"`` get zeros in its part:

    >>> present = {"b": torch.tensor([True, False, True, True, False])}
    >>> fusion(features, present)[:, 8:].abs().sum(1).eq(0).tolist()
    [False, True, False, False, True]
    """

    def __init__(self, dims):
        super().__init__()
        self.names = sorted(dims)
        self.output_dim = sum(dims.values())

    def forward(self, features, present=None):
        vectors = [features[name] for name in self.names]
        mask = present_mask(present, self.names, vectors[0].shape[0], vectors[0].device)
        return torch.cat(_zero_absent(vectors, mask), dim=1)


def _mlp_head(in_features, hidden_size, n_outputs, dropout):
    return nn.Sequential(
        nn.Linear(in_features, hidden_size), nn.ReLU(), nn.Dropout(dropout),
        nn.Linear(hidden_size, n_outputs),
    )


class LateFusion(nn.Module):
    """Late (decision-level) fusion: one head per modality, outputs averaged.

    Each modality's vector goes through its own two-layer head to
    ``n_outputs`` logits (or values); the network's output is their average
    over the modalities present in each sample, equal-weighted
    (``weights="mean"``) or with learned softmax weights
    (``weights="learned"``, one logit per modality, shared by all samples).

    Parameters
    ----------
    dims : dict of str -> int
    n_outputs : int
    hidden_size : int
        Width of each head.
    dropout : float
    weights : {"mean", "learned"}

    Examples
    --------
    >>> import torch
    >>> features = {"a": torch.randn(5, 8), "b": torch.randn(5, 4)}
    >>> from skmm.nn import LateFusion
    >>> fusion = LateFusion({"a": 8, "b": 4}, n_outputs=3, hidden_size=16, weights="learned")
    >>> fusion(features).shape
    torch.Size([5, 3])
    >>> fusion.modality_weights(features).shape
    torch.Size([5, 2])
    """

    is_output = True

    def __init__(self, dims, n_outputs, *, hidden_size=64, dropout=0.0, weights="mean"):
        super().__init__()
        if weights not in ("mean", "learned"):
            raise ValueError(f"weights must be 'mean' or 'learned', got {weights!r}.")
        self.names = sorted(dims)
        self.heads = nn.ModuleDict(
            {name: _mlp_head(dims[name], hidden_size, n_outputs, dropout) for name in self.names}
        )
        self.weights = weights
        self.logits = nn.Parameter(torch.zeros(len(self.names))) if weights == "learned" else None
        self.output_dim = n_outputs

    def _weights(self, n, mask, device):
        logits = self.logits if self.logits is not None else torch.zeros(len(self.names), device=device)
        return masked_softmax(logits.expand(n, -1), mask)

    def forward(self, features, present=None):
        first = _first(features)
        mask = present_mask(present, self.names, first.shape[0], first.device)
        outputs = torch.stack([self.heads[name](features[name]) for name in self.names], dim=1)
        weights = self._weights(first.shape[0], mask, first.device)
        return (weights.unsqueeze(-1) * outputs).sum(1)

    def modality_weights(self, features, present=None):
        """(n, n_modalities) learned weights (zero for absent modalities)."""
        if self.logits is None:
            raise ValueError(
                "late fusion with weights='mean' averages modalities equally and learns no "
                "weights; use Late(weights='learned')."
            )
        first = _first(features)
        mask = present_mask(present, self.names, first.shape[0], first.device)
        return self._weights(first.shape[0], mask, first.device)


class TensorFusion(nn.Module):
    """Tensor Fusion Network (Zadeh et al. 2017): outer product of modality vectors.

    Each modality vector (projected to ``dim`` first, unless ``dim`` is
    None) is extended with a constant 1; the flattened outer product of all
    of them holds every unimodal, bimodal, ... interaction. Its size is
    ``prod(d_i + 1)``. An absent modality's vector is zeros, so only its
    constant-1 term remains.

    Parameters
    ----------
    dims : dict of str -> int
    dim : int or None
        Size each modality is projected to (linear layer) before the product.
    max_features : int
        Largest allowed product size (ValueError above it).

    Examples
    --------
    >>> import torch
    >>> features = {"a": torch.randn(5, 8), "b": torch.randn(5, 4)}
    >>> from skmm.nn import TensorFusion
    >>> fusion = TensorFusion({"a": 8, "b": 4}, dim=4)
    >>> fusion.output_dim  # (4 + 1) * (4 + 1)
    25
    >>> fusion(features).shape
    torch.Size([5, 25])
    """

    def __init__(self, dims, *, dim=16, max_features=65536):
        super().__init__()
        self.names = sorted(dims)
        sizes = {name: (dim if dim is not None else dims[name]) for name in self.names}
        size = math.prod(s + 1 for s in sizes.values())
        if size > max_features:
            raise ValueError(
                f"tensor fusion of {len(sizes)} modalities of sizes {sizes} has "
                f"prod(d_i + 1) = {size} features, more than max_features={max_features}; "
                "use fusion='low_rank' (the same interactions in low-rank factors), a smaller "
                "`dim` (e.g. fusion__dim=8) or raise max_features."
            )
        self.project = None
        if dim is not None:
            self.project = nn.ModuleDict({name: nn.Linear(dims[name], dim) for name in self.names})
        self.output_dim = size

    def forward(self, features, present=None):
        first = _first(features)
        n = first.shape[0]
        vectors = [
            self.project[name](features[name]) if self.project is not None else features[name]
            for name in self.names
        ]
        vectors = _zero_absent(vectors, present_mask(present, self.names, n, first.device))
        ones = torch.ones(n, 1, dtype=first.dtype, device=first.device)
        fused = ones
        for vector in vectors:
            extended = torch.cat([ones, vector], dim=1)
            fused = (fused.unsqueeze(2) * extended.unsqueeze(1)).flatten(1)
        return fused


class LowRankFusion(nn.Module):
    """Low-rank Multimodal Fusion (Liu et al. 2018).

    The tensor-fusion weight is decomposed into ``rank`` modality-specific
    factors: each modality vector, extended with a constant 1, is mapped by
    its factors ``(rank, d_m + 1, output_dim)``; the modalities' results are
    multiplied elementwise and summed over the rank with learned weights.
    Linear in the number of modalities, never builds the product tensor.

    Initialisation: each factor's constant-1 row is 1 and its other rows are
    N(0, 1/d_m), so every modality's term starts near 1 and the product
    starts close to a sum of modality contributions, at any modality count.
    An absent modality's vector is zeros: its term is its constant row.

    Parameters
    ----------
    dims : dict of str -> int
    rank : int
    output_dim : int

    Examples
    --------
    >>> import torch
    >>> features = {"a": torch.randn(5, 8), "b": torch.randn(5, 4)}
    >>> from skmm.nn import LowRankFusion
    >>> fusion = LowRankFusion({"a": 8, "b": 4}, rank=4, output_dim=16)
    >>> fusion(features).shape
    torch.Size([5, 16])
    >>> fusion.factors["a"].shape  # (rank, d_a + 1, output_dim)
    torch.Size([4, 9, 16])
    """

    def __init__(self, dims, *, rank=4, output_dim=64):
        super().__init__()
        self.names = sorted(dims)
        self.factors = nn.ParameterDict()
        for name in self.names:
            factor = torch.randn(rank, dims[name] + 1, output_dim) / math.sqrt(dims[name])
            factor[:, 0, :] = 1.0
            self.factors[name] = nn.Parameter(factor)
        self.rank_weights = nn.Parameter(torch.randn(rank) / math.sqrt(rank))
        self.bias = nn.Parameter(torch.zeros(output_dim))
        self.output_dim = output_dim

    def forward(self, features, present=None):
        first = _first(features)
        n = first.shape[0]
        vectors = _zero_absent([features[name] for name in self.names],
                               present_mask(present, self.names, n, first.device))
        ones = torch.ones(n, 1, dtype=first.dtype, device=first.device)
        fused = None
        for name, vector in zip(self.names, vectors):
            term = torch.einsum("nd,rdo->nro", torch.cat([ones, vector], dim=1), self.factors[name])
            fused = term if fused is None else fused * term
        return torch.einsum("nro,r->no", fused, self.rank_weights) + self.bias


class AttentionFusion(nn.Module):
    """Attention over modalities: a learned softmax weight per modality per sample.

    Each modality vector is projected to ``hidden_size``; a small scorer
    (shared by the modalities) gives each projected vector a score, the
    scores are soft-maxed over the modalities present in the sample, and the
    fused vector is the weighted sum. ``modality_weights`` returns them.

    Parameters
    ----------
    dims : dict of str -> int
    hidden_size : int
    dropout : float

    Examples
    --------
    >>> import torch
    >>> features = {"a": torch.randn(5, 8), "b": torch.randn(5, 4)}
    >>> from skmm.nn import AttentionFusion
    >>> fusion = AttentionFusion({"a": 8, "b": 4}, hidden_size=16)
    >>> fusion(features).shape
    torch.Size([5, 16])
    >>> weights = fusion.modality_weights(features)
    >>> weights.shape, bool(torch.allclose(weights.sum(1), torch.ones(5)))
    (torch.Size([5, 2]), True)
    """

    def __init__(self, dims, *, hidden_size=64, dropout=0.0):
        super().__init__()
        self.names = sorted(dims)
        self.project = nn.ModuleDict({name: nn.Linear(dims[name], hidden_size) for name in self.names})
        self.score = nn.Sequential(
            nn.Linear(hidden_size, hidden_size), nn.Tanh(), nn.Dropout(dropout), nn.Linear(hidden_size, 1)
        )
        self.output_dim = hidden_size

    def _attend(self, features, present):
        projected = torch.stack([self.project[name](features[name]) for name in self.names], dim=1)
        mask = present_mask(present, self.names, projected.shape[0], projected.device)
        weights = masked_softmax(self.score(projected).squeeze(-1), mask)
        return projected, weights

    def forward(self, features, present=None):
        projected, weights = self._attend(features, present)
        return (weights.unsqueeze(-1) * projected).sum(1)

    def modality_weights(self, features, present=None):
        """(n, n_modalities) attention weights (zero for absent modalities)."""
        return self._attend(features, present)[1]


class GatedFusion(nn.Module):
    """Gated Multimodal Units (Arevalo et al. 2017), for any number of modalities.

    ``h_m = tanh(W_m x_m)`` per modality; gates ``z = W_z [x_1; ...; x_M]``
    (one per modality per unit) are a softmax over the modalities
    (``gate="softmax"``, the two-modality GMU's ``z, 1 - z`` generalised) or
    independent sigmoids (``gate="sigmoid"``); the fused vector is
    ``sum_m z_m * h_m``. Absent modalities enter the gates as zeros and get
    gate 0. ``modality_weights`` is each modality's mean gate.

    Parameters
    ----------
    dims : dict of str -> int
    hidden_size : int
    dropout : float
    gate : {"softmax", "sigmoid"}

    Examples
    --------
    >>> import torch
    >>> features = {"a": torch.randn(5, 8), "b": torch.randn(5, 4)}
    >>> from skmm.nn import GatedFusion
    >>> fusion = GatedFusion({"a": 8, "b": 4}, hidden_size=16)
    >>> fusion(features).shape
    torch.Size([5, 16])
    >>> fusion.modality_weights(features).shape
    torch.Size([5, 2])
    """

    def __init__(self, dims, *, hidden_size=64, dropout=0.0, gate="softmax"):
        super().__init__()
        if gate not in ("softmax", "sigmoid"):
            raise ValueError(f"gate must be 'softmax' or 'sigmoid', got {gate!r}.")
        self.names = sorted(dims)
        self.gate = gate
        self.hidden_size = hidden_size
        self.transform = nn.ModuleDict(
            {name: nn.Sequential(nn.Dropout(dropout), nn.Linear(dims[name], hidden_size), nn.Tanh())
             for name in self.names}
        )
        self.gates = nn.Linear(sum(dims.values()), hidden_size * len(self.names))
        self.output_dim = hidden_size

    def _gated(self, features, present):
        vectors = [features[name] for name in self.names]
        n = vectors[0].shape[0]
        mask = present_mask(present, self.names, n, vectors[0].device)
        vectors = _zero_absent(vectors, mask)
        logits = self.gates(torch.cat(vectors, dim=1)).view(n, len(self.names), self.hidden_size)
        if self.gate == "softmax":
            gates = masked_softmax(logits, None if mask is None else mask.unsqueeze(-1))
        else:
            gates = torch.sigmoid(logits)
            if mask is not None:
                gates = gates * mask.unsqueeze(-1).to(gates.dtype)
        hidden = torch.stack([self.transform[name](v) for name, v in zip(self.names, vectors)], dim=1)
        return hidden, gates

    def forward(self, features, present=None):
        hidden, gates = self._gated(features, present)
        return (gates * hidden).sum(1)

    def modality_weights(self, features, present=None):
        """(n, n_modalities) mean gate of each modality over the hidden units."""
        return self._gated(features, present)[1].mean(-1)


class CrossAttentionFusion(nn.Module):
    """Cross-modal co-attention between the modalities' step states.

    Each encoder's ``encode_steps`` states are projected to ``dim``; each
    modality's steps then attend (``nn.MultiheadAttention``) to the steps of
    all other modalities (padding and absent modalities masked out as keys),
    with a residual connection and layer norm (one attention layer and norm
    shared by the modalities; the projections are per modality); the result is mean-pooled
    over the modality's real steps, and the modalities are concatenated
    (an absent modality's part is zeros). With one modality, it attends to
    itself. A sample whose other modalities are all absent keeps its own
    steps unchanged by attention. Only the encoders' step states are used:
    layers that only make an encoder's pooled vector (a CNN's final linear
    layer) stay unused.

    A batch fusion: ``forward(batch, encoders, present=None)``.

    Parameters
    ----------
    dims : dict of str -> int
        The modalities (only their names are used: ``bind`` sizes each
        projection from its encoder's ``step_dim``).
    dim : int
        Common size of the projected steps.
    num_heads : int
        Attention heads (must divide ``dim``).
    dropout : float

    Examples
    --------
    >>> import torch
    >>> from torch import nn
    >>> from skmm.nn import CrossAttentionFusion, MLPEncoder, RecurrentEncoder
    >>> encoders = nn.ModuleDict({"a": MLPEncoder(8, 16), "b": RecurrentEncoder(4, 8)})
    >>> fusion = CrossAttentionFusion({"a": 16, "b": 16}, dim=16, num_heads=2)
    >>> fusion.bind(encoders)  # MultimodalNetwork does this itself
    >>> batch = {"a": {"x": torch.randn(5, 8)},
    ...          "b": {"x": torch.randn(5, 7, 4), "lengths": torch.tensor([7, 7, 3, 2, 1])}}
    >>> fusion(batch, encoders).shape
    torch.Size([5, 32])
    """

    takes_batch = True

    def __init__(self, dims, *, dim=64, num_heads=4, dropout=0.0):
        super().__init__()
        if dim % num_heads:
            raise ValueError(f"cross-attention: num_heads ({num_heads}) must divide dim ({dim}).")
        self.names = sorted(dims)
        self.dim = dim
        self.attention = nn.MultiheadAttention(dim, num_heads, dropout=dropout, batch_first=True)
        self.norm = nn.LayerNorm(dim)
        self.project = None
        self.output_dim = dim * len(self.names)

    def bind(self, encoders):
        """Create each modality's projection from its encoder's ``step_dim``."""
        missing = [name for name in self.names if not hasattr(encoders[name], "encode_steps")]
        if missing:
            raise ValueError(
                f"cross-attention needs encoders with encode_steps; those of {missing} have none."
            )
        self.project = nn.ModuleDict(
            {name: nn.Linear(encoders[name].step_dim, self.dim) for name in self.names}
        )

    def forward(self, batch, encoders, present=None):
        steps, masks = {}, {}
        for name in self.names:
            states, mask = encoders[name].encode_steps(batch[name]["x"], batch[name].get("lengths"))
            steps[name], masks[name] = self.project[name](states), mask
        first = steps[self.names[0]]
        n = first.shape[0]
        available = present_mask(present, self.names, n, first.device)
        if available is None:
            available = torch.ones(n, len(self.names), dtype=torch.bool, device=first.device)
        pooled = []
        for i, name in enumerate(self.names):
            others = [j for j in range(len(self.names)) if j != i] or [i]
            keys = torch.cat([steps[self.names[j]] for j in others], dim=1)
            valid = torch.cat([masks[self.names[j]] & available[:, j : j + 1] for j in others], dim=1)
            has_keys = valid.any(1)
            # A row with no valid key would attend to nothing (NaN): let it
            # attend anywhere, then drop the result.
            valid = valid | ~has_keys[:, None]
            attended, _ = self.attention(steps[name], keys, keys, key_padding_mask=~valid, need_weights=False)
            attended = attended * has_keys[:, None, None].to(attended.dtype)
            states = self.norm(steps[name] + attended)
            mask = masks[name].unsqueeze(-1).to(states.dtype)
            mean = (states * mask).sum(1) / mask.sum(1).clamp(min=1)
            pooled.append(mean * available[:, i : i + 1].to(mean.dtype))
        return torch.cat(pooled, dim=1)


class ConditionFusion(nn.Module):
    """The source modality's vector conditions the target's recurrent encoder.

    ``mode="init"``: the source vector, projected (tanh) to the target's
    ``num_layers * directions * hidden_size``, is the target's initial
    hidden state. ``mode="input"``: projected to the target's step input
    size, it is added to every step's input. The fused vector is the
    concatenation of all modality vectors (the target's conditioned), as in
    :class:`ConcatFusion`. An absent source conditions nothing (zero
    initial state / nothing added); an absent modality's vector is zeros.

    A batch fusion: ``forward(batch, encoders, present=None)``.

    Parameters
    ----------
    dims : dict of str -> int
    source, target : str
        Modality names; the target's encoder must be recurrent.
    mode : {"init", "input"}

    Examples
    --------
    >>> import torch
    >>> from torch import nn
    >>> from skmm.nn import ConditionFusion, MLPEncoder, RecurrentEncoder
    >>> encoders = nn.ModuleDict({"image": MLPEncoder(8, 16),
    ...                           "text": RecurrentEncoder(None, 8, vocab_size=20)})
    >>> fusion = ConditionFusion({"image": 16, "text": 16}, source="image", target="text")
    >>> fusion.bind(encoders)  # MultimodalNetwork does this itself
    >>> batch = {"image": {"x": torch.randn(5, 8)},
    ...          "text": {"x": torch.randint(1, 20, (5, 6)), "lengths": torch.tensor([6, 4, 3, 2, 1])}}
    >>> fusion(batch, encoders).shape
    torch.Size([5, 32])
    """

    takes_batch = True

    def __init__(self, dims, *, source, target, mode="init"):
        super().__init__()
        check_condition(sorted(dims), source, target, mode)
        self.names = sorted(dims)
        self.source, self.target, self.mode = source, target, mode
        self.project = None
        self.output_dim = sum(dims.values())

    def bind(self, encoders):
        """Check the target is recurrent; size the projection from both encoders."""
        target = encoders[self.target]
        if not hasattr(target, "init_shape"):
            raise ValueError(
                f"Condition: target {self.target!r} is encoded by {type(target).__name__}, "
                "not a recurrent encoder (rnn, gru, lstm); only a recurrent encoder takes a condition."
            )
        source_dim = encoders[self.source].output_dim
        if self.mode == "init":
            layers, hidden = target.init_shape
            self.project = nn.Sequential(nn.Linear(source_dim, layers * hidden), nn.Tanh())
        else:
            self.project = nn.Linear(source_dim, target.step_input_size)

    def forward(self, batch, encoders, present=None):
        def encode(name, **kwargs):
            return encoders[name](batch[name]["x"], batch[name].get("lengths"), **kwargs)

        source = encode(self.source)
        n = source.shape[0]
        mask = present_mask(present, self.names, n, source.device)
        condition = self.project(source)
        if mask is not None:
            condition = condition * mask[:, self.names.index(self.source), None].to(condition.dtype)
        if self.mode == "init":
            layers, hidden = encoders[self.target].init_shape
            condition = {"h0": condition.view(n, layers, hidden).transpose(0, 1).contiguous()}
        else:
            condition = {"input": condition}
        vectors = [
            source if name == self.source
            else encode(name, condition=condition) if name == self.target
            else encode(name)
            for name in self.names
        ]
        return torch.cat(_zero_absent(vectors, mask), dim=1)


def check_condition(names, source, target, mode):
    """Validate a Condition's choices against the modality names (ValueError)."""
    if mode not in ("init", "input"):
        raise ValueError(f"Condition: mode must be 'init' or 'input', got {mode!r}.")
    if len(names) < 2:
        raise ValueError(
            f"Condition needs at least 2 modalities (a source and a target); the data has {list(names)}."
        )
    if source is None or target is None:
        raise ValueError(
            "Condition needs source= and target= modality names, e.g. "
            f"Condition(source='image', target='text'); the data has {list(names)}."
        )
    for role, name in (("source", source), ("target", target)):
        if name not in names:
            raise ValueError(f"Condition: {role} {name!r} is not a modality of the data; it has {list(names)}.")
    if source == target:
        raise ValueError(f"Condition: source and target must differ, both are {source!r}.")
