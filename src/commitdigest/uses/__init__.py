"""Your code: where the reader's own code uses the symbols a followed repository's commits
changed (``[[repos]] uses`` in the config, ``--uses PATH`` on ``report``, ``run`` and
``rollup``).

``reader`` lists the reader's files, ``python_refs`` and ``other_refs`` find their references to
the followed repository, ``index`` keeps them (once per run, and in the cache across runs),
``upstream`` reads the followed repository's names and resolves Python names at a commit, and
``stage`` turns a batch of commits into each one's ``Commit.uses`` (``records.Use``).
"""
