"""Emulators of outside systems for tests and demos."""
