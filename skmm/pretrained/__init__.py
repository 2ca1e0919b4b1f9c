"""Private: pretrained networks from local files (not API: use :class:`skmm.encoders.Pretrained`).

Loading transformers, timm and torchvision networks, their libraries imported
lazily (:mod:`.loading`), the loaded network behind one call
(:mod:`.backbone`), where models come from (:mod:`.files`: the offline rule,
tokenizers, weights files) and frozen networks' outputs kept per input row
(:mod:`.feature_cache`).
"""
