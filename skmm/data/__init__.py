"""Private: the data's way from a ModalityDict to the network's input tensors (not API).

A modality's kind, declared or read off its array (:mod:`.kinds`); estimator
input to a :class:`~skmm.ModalityDict` (:mod:`.inputs`); arrays and presence
masks to ``{"x", "lengths", "present"}`` tensors (:mod:`.tensors`); datasets
fetched a batch at a time (:mod:`.batches`), decoded per batch when lazy
(:mod:`.lazy`); sparse modalities (:mod:`.sparse`). The network itself is
:mod:`skmm.nn`.
"""
