"""Every statement the library grants the functions that act after a deploy is needed: take any one away from the
provenance writer's role or the status signaller's role and its scenario (``tests.role_scenarios``) meets a
refusal, a record or a signal missing. Each scenario is deployed once and played once per statement left out."""

from __future__ import annotations

import json

import pytest

from tests.role_scenarios import signaller_world, writer_world

WORLDS = {"writer": writer_world, "signaller": signaller_world}


@pytest.mark.parametrize("function", sorted(WORLDS))
def test_removing_any_one_statement_of_the_function_role_is_caught(monkeypatch, tmp_path, function):
    with WORLDS[function](monkeypatch, tmp_path) as played:
        assert played.play() == [], "the whole policy is enough"
        account = played.world.account
        missed = []
        statements = account.statements(played.role)
        for statement in statements:
            account.removed = (played.role, statement)
            if not played.play():
                missed.append(f"{statement['Action']} on {json.dumps(statement['Resource'])}")
        account.removed = None
        print(f"\n{function}: {len(statements)} statements removed one at a time, {len(statements) - len(missed)} "
              "caught")
        assert missed == [], "statements whose removal nothing noticed: " + "; ".join(missed)
