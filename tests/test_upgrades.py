"""Upgrading the library never starts a run: a stack deployed with an earlier release, deployed again with this
one and nothing else changed, starts nothing.

The templates the example app synthesized with each earlier release are kept in ``fixtures/releases/<version>/``.
Each test deploys the earlier template into the account world, creates its runs and cohorts as that release
left them (0.1.0 named a run or a batch ``<id>/<uuid>`` and kept no ledger; 0.2.0 as now), then deploys the
template this release synthesizes for the same app and drives each resource's Update as CloudFormation sends it
(with the new policies in force), and the cleanup Delete of any physical id that changed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from healthomics_run.handlers.start_run import cohorts, kinds
from tests.stack_world import TYPES, WORKFLOW_ID, deploy
from tests.synth import example_app

RELEASES = Path(__file__).with_name("fixtures") / "releases"
CASES = sorted((release.name, template.name.removesuffix(".template.json"))
               for release in RELEASES.iterdir() for template in release.glob("*.template.json"))


@pytest.fixture(scope="module")
def current(tmp_path_factory) -> Path:
    """The example app as this release synthesizes it (one synth for every case)."""
    outdir = tmp_path_factory.mktemp("current")
    example_app(str(outdir)).synth()
    return outdir


def _recorded(release: str, stack: str) -> dict[str, dict]:
    """What the release's own handler recorded of the settings each resource ran with (``state.json``: a run's
    16 settings characters of its physical id; a cohort's generation and each sample's key), taken from that
    release when it was current. Never regenerate it: it is the witness of what that release named runs by."""
    path = RELEASES / release / "state.json"
    return json.loads(path.read_text()).get(stack, {}) if path.exists() else {}


def _as_recorded(world, resource, recorded: dict) -> None:
    """Put back the names the earlier release gave, where this release's could differ: the physical id's settings
    (a run) or generation, sample keys and answers of the ledger (a cohort)."""
    if "settings" in recorded:
        run_id, uuid = resource.physical_id.split("/")[:2]
        resource.physical_id = f"{run_id}/{uuid}/{recorded['settings']}"
        return
    event = resource.event("Update", resource.props, PhysicalResourceId=resource.physical_id)
    book = cohorts.load_ledger(event)
    by_id = {entry[0]: key for key, entry in book.samples.items()}
    book.samples = {recorded["keys"][rsid]: book.samples[key] for rsid, key in by_id.items()}
    answers = list(book.answers.values())  # the last answer, under the recorded generation
    book.answers = {recorded["generation"]: answers[-1]} if answers else {}
    book.current = recorded["generation"]
    cohorts.save_ledger(event, book)
    resource.physical_id = cohorts.physical_id(event, recorded["generation"])


def _create_as_release_did(world, resource, release: str, recorded: dict) -> None:
    """0.2.0 created as this release does, with the names 0.2.0 recorded put back. 0.1.0 started the run or batch
    itself (with checks since tightened, such as a 60-minute timeout), named it ``<id>/<uuid>`` in the physical id
    and kept no ledger."""
    if release != "0.1.0":
        resource.create()
        _as_recorded(world, resource, recorded[resource.logical_id])
        return
    kind = kinds.RUN if resource.resource_type == "Custom::HealthOmicsRun" else kinds.BATCH
    request = {**kind.read(resource.props).request, "requestId": f"hr-{release}-{resource.logical_id}"}
    client = world.omics.client
    started = client.start_run(**request) if kind is kinds.RUN else client.start_run_batch(**request)
    resource.physical_id = f"{started['id']}/{started['uuid']}"


@pytest.mark.parametrize("release,stack", CASES)
def test_deploying_this_release_over_an_earlier_one_starts_nothing(monkeypatch, tmp_path, current, release, stack):
    old = json.loads((RELEASES / release / f"{stack}.template.json").read_text())
    new = (json.loads((current / f"{stack}.template.json").read_text()), current / f"{stack}.assets.json")
    with deploy(monkeypatch, (old, None), tmp_path, stack_name=stack) as world:
        world.account.enforcing = False  # what the earlier release did, it did with its own handler
        props = [world.resource(logical).props for kind in TYPES for logical in world.logical_ids(kind)]
        parameters = {name for given in props for name in [*given.get("Parameters", {}), *(
            key for sample in given.get("Samples", []) for key in sample.get("parameters", {}))]}
        for workflow in [WORKFLOW_ID, *(world.deployed.names[logical]
                                        for logical in world.deployed.of_type("AWS::Omics::Workflow"))]:
            world.omics.add_workflow(workflow, {name: {"optional": True} for name in parameters | {"sample_name"}})
        resources = [world.resource(logical) for kind in TYPES for logical in world.logical_ids(kind)]
        assert resources, "the earlier template holds runs"
        for resource in resources:
            _create_as_release_did(world, resource, release, _recorded(release, stack))
        before = (world.omics.count("StartRun"), world.omics.count("StartRunBatch"))

        world.account.enforcing = True
        world.redeploy(new, tmp_path)
        for resource in resources:
            resource.update(world.resource(resource.logical_id).props)
        assert (world.omics.count("StartRun"), world.omics.count("StartRunBatch")) == before
        assert world.account.denied == []
