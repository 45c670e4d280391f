"""A YAML loader that refuses a key given twice, for every YAML file the package reads.

It sits below every other module (it needs only PyYAML) so the data loader and the claims overrides, which are
lower in the layers than the run parameters (see ``[tool.importlinter]`` in pyproject.toml), can use it;
:mod:`evaluation.params` re-exports both names.
"""

from __future__ import annotations

from typing import Any

import yaml

__all__ = ["DuplicateKeyError", "UniqueKeyLoader"]


class DuplicateKeyError(yaml.YAMLError):
    """A mapping key given twice in one YAML mapping; ``first`` and ``second`` are 1-based line numbers."""

    def __init__(self, key: Any, first: int, second: int):
        super().__init__(f"key {key!r} appears twice (line {first} and line {second})")
        self.key, self.first, self.second = key, first, second


class UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key given twice in one mapping (:class:`DuplicateKeyError`), with both lines.

    PyYAML keeps the last value silently, so a file with ``min_cell: 5`` near the top and ``min_cell: 1`` further
    down would publish cells of 1 without a word. Keys merged in with ``<<`` may be overridden: that is what merging
    is for. Usable for any YAML the package reads (``yaml.load(text, Loader=UniqueKeyLoader)``).
    """

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, int] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    first = seen.get(key)
                except TypeError:  # an unhashable key; SafeConstructor reports it itself
                    continue
                line = key_node.start_mark.line + 1
                if first is not None:
                    raise DuplicateKeyError(key, first, line)
                seen[key] = line
        return super().construct_mapping(node, deep=deep)
