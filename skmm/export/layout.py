"""The ONNX graph's inputs: one per tensor the network reads, named ``"<modality>.<part>"``, in a fixed order."""

from __future__ import annotations

SEQUENCES = ("tokens", "tokenized", "frames")
# The axis of a sequence modality's x whose length varies (tokenized: (n, 2, steps)).
STEP_AXIS = {"tokens": 1, "tokenized": 2, "frames": 1}


def graph_inputs(info):
    """The tensors the network reads for one modality, in graph-input order."""
    # Tokenized text carries its attention mask in x: no lengths input.
    return ("x", "lengths", "present") if info.kind in ("tokens", "frames") else ("x", "present")


def layout(infos):
    """``[(modality, parts)]`` in sorted-name order: the order of the graph inputs."""
    return [(name, graph_inputs(infos[name])) for name in sorted(infos)]
