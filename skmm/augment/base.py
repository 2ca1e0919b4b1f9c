"""What an augmentation choice is: a parameter object with ``kinds`` and ``build(info)``.

An augmentation object (what ``augment=`` takes per modality) is a
scikit-learn estimator holding parameters, with ``kinds``, the modality kinds
it augments, and ``build(info)``, which checks them and returns the
``torch.nn.Module`` applied to a training batch entry ``{"x", "lengths",
"present"}`` of one modality (a new entry out). Each kind's parameter object
and module share one file, as the encoders' and fusions' do. The modules'
random draws come from torch's generator, which the estimator seeds inside
each fit, so a seeded fit repeats exactly.
"""

from __future__ import annotations

from numbers import Real


def check_fraction(owner, **values):
    for name, value in values.items():
        if not isinstance(value, Real) or not 0 <= value < 1:
            raise ValueError(f"{type(owner).__name__}: {name} must be in [0, 1), got {value!r}.")
