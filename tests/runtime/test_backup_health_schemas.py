"""Real `--json` outputs and manifests validate against the documented schemas
(docs/schemas/*.schema.json), and the schemas reject what they must reject."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from referencing import Registry, Resource

SCHEMAS = Path(__file__).resolve().parents[2] / "docs" / "schemas"


def _validator(name: str) -> jsonschema.Draft202012Validator:
    resources = []
    for path in SCHEMAS.glob("*.schema.json"):
        schema = json.loads(path.read_text())
        resources.append((schema["$id"], Resource.from_contents(schema)))
    registry: Registry = Registry().with_resources(resources)
    schema = json.loads((SCHEMAS / name).read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, registry=registry)


def test_backup_outputs_and_manifest(nqd_env, tmp_path):
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "f").write_text("x")
    (tree / "l").symlink_to("f")
    created = json.loads(nqd_env.run("backup", "create", "--no-defaults", "--no-databases",
                                     "--path", str(tree), "--json", check_rc=0).stdout)
    backup = _validator("nqd-backup.schema.json")
    backup.validate(created)
    backup.validate(json.loads(nqd_env.run("backup", "list", "--json", check_rc=0).stdout))
    backup.validate(json.loads(nqd_env.run("backup", "verify", created["id"], "--json",
                                           check_rc=0).stdout))
    manifest = json.loads((Path(created["path"]) / "manifest.json").read_text())
    _validator("nqd-backup-manifest.schema.json").validate(manifest)
    broken = dict(manifest, members=[dict(manifest["members"][-1], type="fifo")])
    with pytest.raises(jsonschema.ValidationError):
        _validator("nqd-backup-manifest.schema.json").validate(broken)
    with pytest.raises(jsonschema.ValidationError):
        backup.validate(dict(created, id="yesterday"))


def test_health_report_and_comparison(nqd_env, tmp_path, http_server):
    nqd_env.write_config(f'[health]\ndefault_http = false\n[health.python]\nmodules = []\n'
                         f'[[health.http]]\nname = "x"\nurl = "{http_server}/health"\n')
    baseline = tmp_path / "b.json"
    report = json.loads(nqd_env.run("health", "--json", "--save", str(baseline)).stdout)
    health = _validator("nqd-health.schema.json")
    health.validate(report)
    health.validate(json.loads(baseline.read_text()))
    comparison = json.loads(nqd_env.run("health", "--compare", str(baseline), "--json").stdout)
    _validator("nqd-health-compare.schema.json").validate(comparison)
    report["checks"][0]["status"] = "broken"
    with pytest.raises(jsonschema.ValidationError):
        health.validate(report)
    comparison["current"] = report
    with pytest.raises(jsonschema.ValidationError):
        _validator("nqd-health-compare.schema.json").validate(comparison)
