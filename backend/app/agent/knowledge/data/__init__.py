"""Vendored tokenizer data (package so that setuptools ships the files)."""
