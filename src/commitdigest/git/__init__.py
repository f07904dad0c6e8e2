"""Everything that reads git: ``runner`` runs the processes, ``repo`` opens repositories,
``log`` turns a window into ``Commit`` records."""
