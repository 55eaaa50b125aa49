"""The embedded data package: vocabularies, importers of official formats, and the reproducible build."""

from importlib import resources

PACKAGE_DIR = resources.files("critmin") / "data"
