"""Small artifacts that travel along the graph's edges as declared inputs: the split's summary (with its
embargo), the model's handle (name and version), the evaluation outcome, the registry entry and the
options-flow evaluation. Each is JSON in ``<data_dir>/artifacts/<asset>.json``, written atomically, so a
downstream asset reads exactly what its upstream produced, never "the latest event in the log"."""

import json
from pathlib import Path

import dagster as dg

from smart_money import files
from smart_money.warehouse import Warehouse

ARTIFACTS_FOLDER = "artifacts"
ARTIFACTS = "artifact_io_manager"  # the resource key of ArtifactIOManager
OPTIONAL = "optional"  # AssetIn metadata: a missing upstream artifact loads as None


def optional_input() -> dg.AssetIn:
    """An input that is None when its upstream was never materialized (e.g. the options flow is off)."""
    return dg.AssetIn(metadata={OPTIONAL: True})


class ArtifactIOManager(dg.ConfigurableIOManager):
    """Stores an asset's return value (a JSON-able dict, or None) beside the warehouse tables."""

    warehouse: dg.ResourceDependency[Warehouse]

    def _path(self, key: dg.AssetKey) -> Path:
        return self.warehouse.artifact_dir(ARTIFACTS_FOLDER) / f"{'__'.join(key.path)}.json"

    def handle_output(self, context: dg.OutputContext, obj) -> None:
        path = self._path(context.asset_key)
        files.write_text_atomic(path, files.dumps(obj, indent=2, sort_keys=True) + "\n")
        context.add_output_metadata({"artifact_path": dg.MetadataValue.path(str(path))})

    def load_input(self, context: dg.InputContext):
        key = context.upstream_output.asset_key if context.upstream_output else context.asset_key
        path = self._path(key)
        if not path.exists():
            if (context.definition_metadata or {}).get(OPTIONAL):
                return None
            raise dg.Failure(
                f"{key.to_user_string()} has not been materialized (no {path}); materialize it first"
            )
        try:
            return json.loads(path.read_text())
        except json.JSONDecodeError as exc:
            raise dg.Failure(
                f"{path} is not valid JSON ({exc}); re-materialize {key.to_user_string()}"
            ) from exc
