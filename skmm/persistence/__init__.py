"""Private: files that hold fitted estimators (not API: use ``save_params``/``load_params``).

The params file that runs no code on load (:mod:`.params_file`: writing and
reading; :mod:`.schema`: the allow-listed classes and dtypes, fitted-state
checks; :mod:`.decoder`: decoding under that schema; :mod:`.torch_files`:
``torch.load`` with ``weights_only``), the configuration both it and the
checkpoints record and compare (:mod:`.config`), and checkpoints written
atomically and checked on resume (:mod:`.checkpoint`).
"""
