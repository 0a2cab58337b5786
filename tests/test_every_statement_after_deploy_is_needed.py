"""Every statement the library grants the functions that act after a deploy, and every statement docs/security.md
gives a command, is needed: take any one away from the provenance writer's role, the status signaller's role, or a
command's documented policy, and its scenario (``tests.role_scenarios``, ``tests.command_scenarios``) meets a
refusal, a record or a signal missing, or a command that fails. Each scenario is deployed once and played once per
statement left out."""

from __future__ import annotations

import json

import pytest

from tests.command_scenarios import commands_world
from tests.role_scenarios import chain_writer_world, signaller_world, writer_world

SCENARIOS = {"writer": (writer_world, None), "chain-writer": (chain_writer_world, None),
             "signaller": (signaller_world, None),
             "status": (commands_world, "status STACK"), "export-history": (commands_world, "export-history FILE"),
             "provenance": (commands_world, "provenance STACK")}


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_removing_any_one_statement_of_a_role_or_documented_policy_is_caught(monkeypatch, tmp_path, scenario):
    world, command = SCENARIOS[scenario]
    with world(monkeypatch, tmp_path) as opened:
        played = opened if command is None else opened[command]
        assert played.play() == [], "the whole policy is enough"
        account = played.world.account
        statements = account.statements(played.role)
        missed = []
        for statement in statements:
            account.removed = (played.role, statement)
            if not played.play():
                missed.append(f"{statement['Action']} on {json.dumps(statement['Resource'])}")
        account.removed = None
        print(f"\n{scenario}: {len(statements)} statements removed one at a time, {len(statements) - len(missed)} "
              "caught")
        assert missed == [], "statements whose removal nothing noticed: " + "; ".join(missed)
