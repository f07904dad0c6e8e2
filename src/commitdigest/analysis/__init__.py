"""Analyzers turn ``Commit`` facts into ``CommitAnalysis`` judgements."""
