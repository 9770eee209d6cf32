"""The examples are scripts, not test modules: importing one runs it (and parses
pytest's command line as its own). ``tests/test_examples.py`` runs them properly,
in subprocesses."""

collect_ignore_glob = ["*.py"]
