"""Index families: which categories of rated units each holds; a family has its own core."""

from __future__ import annotations

#: Index family -> the categories of rated units it holds.
FAMILIES = {
    "service": ("producer", "consumer"),
    "product": ("products",),
    "construction": ("construction",),
}
CATEGORIES = tuple(category for members in FAMILIES.values() for category in members)


def family_of(category: str) -> str:
    """Return the index family of a category code, e.g. ``products`` -> ``product``.

    >>> family_of("consumer"), family_of("products"), family_of("construction")
    ('service', 'product', 'construction')
    """
    for family, members in FAMILIES.items():
        if category in members:
            return family
    raise ValueError(f"unknown category {category!r}: expected one of {', '.join(CATEGORIES)}")
