"""Relevance evaluation of searchkit against hand-made judgments and an FTS5 baseline.

Run ``python -m evaluation.run --help``; see ``evaluation/README.md``.
"""
