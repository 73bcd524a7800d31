"""Point-in-time smart-money features per (symbol, sample_date), one module per family.

``features.catalog`` names, orders and documents every feature (``docs/features.md``);
``features.build`` holds ``RawFrames`` and ``build_features``, which runs every family on one grid. This
package imports only the catalog: ``smart_money.tables`` reads the catalog, and the families read their input
types from ``tables``.
"""

from smart_money.features.catalog import FEATURE_NAMES, FEATURES, FeatureSpec

__all__ = ["FEATURES", "FEATURE_NAMES", "FeatureSpec"]
