"""Route a DataFrame's columns to per-modality transformers: :class:`ModalityTransformer`.

Its output, :class:`ModalityDict`, keeps one array per modality with its
presence mask and kind. The private modules beside them read one input
column and name its rows in errors (``_columns``), pick a modality's columns
from a frame (``_frame_columns``) and check one transformer's output
(``_modality_output``).
"""

from .modality_dict import ModalityDict
from .modality_transformer import ModalityTransformer

__all__ = ["ModalityDict", "ModalityTransformer"]
