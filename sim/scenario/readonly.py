"""A read-only mapping that travels to worker processes as the dict it wraps.

Scenarios, catalogues and institutions are immutable: their tables are read-only views. The
standard library's view (``types.MappingProxyType``) cannot be pickled, which a process pool
or a Dask cluster needs, and registering a pickler for it (``copyreg``) would change how every
other program in the process pickles them. This type pickles itself, with no process-wide setting.
"""

from __future__ import annotations

from collections.abc import ItemsView, Iterator, KeysView, Mapping, ValuesView
from typing import Any


class ReadOnlyMapping(Mapping):
    """A dict's read-only view: reads like a dict, refuses writes, pickles as ``ReadOnlyMapping(dict)``."""

    __slots__ = ("_data",)

    def __init__(self, data: Mapping | None = None) -> None:
        self._data = dict(data) if data is not None else {}

    def __getitem__(self, key: Any) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    # the dict's own views and lookup: the Mapping mixins would go through __getitem__ key by key
    def get(self, key: Any, default: Any = None) -> Any:
        return self._data.get(key, default)

    def keys(self) -> KeysView:
        return self._data.keys()

    def values(self) -> ValuesView:
        return self._data.values()

    def items(self) -> ItemsView:
        return self._data.items()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ReadOnlyMapping):
            return self._data == other._data
        return self._data == other if isinstance(other, Mapping) else NotImplemented

    def __reversed__(self) -> Iterator:
        return reversed(self._data)

    __hash__ = None  # like a dict: equal mappings may differ in identity, and the content is not hashed

    def __repr__(self) -> str:
        return f"ReadOnlyMapping({self._data!r})"

    def __reduce__(self) -> tuple:
        return type(self), (self._data,)

    def __or__(self, other: Mapping) -> dict:
        return {**self._data, **other}

    def __ror__(self, other: Mapping) -> dict:
        return {**other, **self._data}

    def copy(self) -> dict:
        """A writable copy, as ``MappingProxyType.copy`` gives."""
        return dict(self._data)
