"""Backends launch the worker entry point for jobs; they never touch git."""
