"""World.observers see every Change as it is made, in order."""

from __future__ import annotations

from connectors.sim.world import Change, World


def test_observers_see_every_change_in_the_order_returned() -> None:
    world = World.generate(seed=4, size="small")
    seen: list[Change] = []
    world.observers.append(seen.append)
    returned = world.advance(60)
    issue = next(i for i in world.all_issues() if not i.is_pull_request)
    target = next(r for r in world.repos if r != issue.repo)
    returned += world.transfer_issue(issue.repo, issue.number, target)
    assert [c.seq for c in seen] == [c.seq for c in returned]
    assert [c.kind for c in seen[-2:]] == ["transferred", "created"]
