"""The model: time splits, normalizer, LightGBM + calibration, baselines, rules, evaluation, registry.

Plain functions over DataFrames (no Dagster): ``smart_money.defs`` wires them into the ``model`` group.
"""
