"""Imports every module's jobs so they register (the worker and the in-process runner use this)."""
