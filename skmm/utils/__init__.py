"""Private helpers shared across skmm (not API: import from the public modules).

Thread counts per call (:mod:`.threads`), progress output (:mod:`.progress`),
shared docstring fragments (:mod:`.docstrings`), the name registrar behind
``register_encoder``/``register_fusion`` (:mod:`.registration`), constraint
pieces of ``_parameter_constraints`` (:mod:`.spec_params`), the list of public
modules (:mod:`.public`), the names the public signatures' annotations use
(:mod:`.types`) and the old module paths kept for unpickling
(:mod:`.aliases`).
"""
