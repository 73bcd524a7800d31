"""smart-money: point-in-time smart-money features and conviction models as one Dagster asset graph.

``dagster ... -m smart_money`` finds the ``Definitions`` here as ``asset_graph``. It is loaded lazily
(PEP 562) so that importing a domain module (``smart_money.features``, ``smart_money.sources``...) does not
build the Dagster graph. (It cannot be called ``defs``: that name is the ``smart_money.defs`` subpackage.)
"""


def __getattr__(name: str):
    if name == "asset_graph":
        from smart_money.definitions import defs

        return defs
    raise AttributeError(f"module 'smart_money' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), "asset_graph"])
