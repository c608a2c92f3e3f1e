"""The generated organisation: determinism, sizes, internal consistency, churn."""

from __future__ import annotations

from collections import Counter
from dataclasses import astuple
from datetime import timedelta

import pytest

from connectors.sim.world import EPIC_LABEL, EPOCH, Issue, Repo, World


def fingerprint(world: World) -> list[tuple[object, ...]]:
    return [astuple(issue) for issue in world.all_issues()] + [
        (repo.full_name, repo.id, tuple(repo.labels), len(repo.milestones))
        for repo in world.repos.values()
    ]


def recount_milestones(repo: Repo) -> dict[int, tuple[int, int]]:
    counts: Counter[tuple[int, str]] = Counter(
        (i.milestone, i.state) for i in repo.issues.values() if i.milestone is not None
    )
    return {n: (counts[(n, "open")], counts[(n, "closed")]) for n in repo.milestones}


def open_issue(world: World) -> Issue:
    return next(
        i
        for i in world.all_issues()
        if i.state == "open" and not i.is_pull_request and not i.parent
    )


def test_same_seed_makes_the_same_world_and_another_seed_another() -> None:
    assert fingerprint(World.generate(3, "small")) == fingerprint(World.generate(3, "small"))
    assert fingerprint(World.generate(3, "small")) != fingerprint(World.generate(4, "small"))


@pytest.mark.parametrize(
    ("size", "repos", "items"),
    [("small", 6, 300), ("medium", 24, 5_000), ("large", 60, 50_000)],
)
def test_sizes_have_their_repos_and_items(size: str, repos: int, items: int) -> None:
    world = World.generate(1, size)  # type: ignore[arg-type]
    assert len(world.repos) == repos
    assert sum(len(r.issues) for r in world.repos.values()) == items
    prs = sum(i.is_pull_request for i in world.all_issues())
    assert 0.15 * items < prs < 0.35 * items


def test_single_repo_has_exactly_the_requested_issues_and_pull_requests() -> None:
    world = World.single_repo("octo", "hello", issues=250, pull_requests=70, seed=5)
    repo = world.repo("octo/hello")
    assert list(world.repos) == ["octo/hello"]
    assert sorted(repo.issues) == list(range(1, 321))
    assert sum(i.is_pull_request for i in repo.issues.values()) == 70


def test_generated_history_is_consistent() -> None:
    world = World.generate(2, "medium")
    for issue in world.all_issues():
        repo = world.repo(issue.repo)
        assert issue.created_at <= issue.updated_at <= EPOCH
        assert set(issue.labels) <= set(repo.labels)
        assert set(issue.assignees) <= set(world.people)
        assert (issue.state == "closed") == (issue.closed_at is not None)
        if issue.is_pull_request:
            assert issue.state_reason is None
            assert issue.issue_type is None
        elif issue.state == "closed":
            assert issue.state_reason in ("completed", "not_planned")
        else:
            assert issue.state_reason in (None, "reopened")
    for repo in world.repos.values():
        assert recount_milestones(repo) == {
            n: (m.open_issues, m.closed_issues) for n, m in repo.milestones.items()
        }


def test_epics_have_sub_issues_whose_bodies_say_so() -> None:
    world = World.generate(2, "medium")
    epics = [i for i in world.all_issues() if i.issue_type == "Epic"]
    subs = [i for i in world.all_issues() if i.parent is not None]
    assert epics
    assert subs
    assert all(EPIC_LABEL in e.labels for e in epics)
    assert any(e.roadmap_key in world.roadmap for e in epics)
    for sub in subs:
        parent = world.issue(sub.repo, sub.parent)  # type: ignore[arg-type]
        assert parent.issue_type == "Epic"
        assert sub in world.sub_issues(sub.repo, parent.number)
        assert sub.body is None or f"Part of {parent.key}" in sub.body


def test_bodies_state_exactly_the_references_the_world_records() -> None:
    world = World.generate(5, "medium")
    referencing = [i for i in world.all_issues() if i.part_of or i.roadmap_key]
    assert len(referencing) > 100
    for issue in world.all_issues():
        lines = (issue.body or "").split("\n")
        said = [line.removeprefix("Part of ") for line in lines if line.startswith("Part of ")]
        roadmap = [line.split()[-1] for line in lines if line.startswith("Delivers roadmap item")]
        assert said == ([issue.part_of] if issue.part_of and issue.body else [])
        assert roadmap == ([issue.roadmap_key] if issue.roadmap_key else [])
    cross_repo = [i for i in referencing if i.part_of and not i.part_of.startswith(f"{i.repo}#")]
    assert cross_repo  # some say they are part of another repo's issue, e.g. acme/api#12


def test_organisation_has_teams_people_and_roadmap() -> None:
    world = World.generate(1, "small")
    assert {"payments", "web", "platform", "mobile", "data"} <= set(world.teams)
    assert all(
        world.people[login].team == key for key, t in world.teams.items() for login in t.members
    )
    assert all(item.team in world.teams for item in world.roadmap.values())
    assert set(world.issue_types) == {"Task", "Bug", "Feature", "Epic"}


def test_clock_starts_at_the_fixed_epoch_and_moves_only_with_changes() -> None:
    world = World.generate(1, "small")
    assert world.clock == EPOCH
    world.advance(5)
    assert EPOCH + timedelta(seconds=100) <= world.clock <= EPOCH + timedelta(hours=2)


def test_advance_bumps_updated_at_of_each_changed_issue_to_the_clock() -> None:
    world = World.generate(1, "small")
    changes = world.advance(40)
    assert len(changes) >= 40
    assert [c.at for c in changes] == sorted(c.at for c in changes)
    assert [c.seq for c in changes] == sorted({c.seq for c in changes})
    for change in changes:
        if change.kind != "deleted":
            assert change.issue.updated_at == change.at
    assert changes[-1].at == world.clock


def test_advance_is_deterministic_for_a_seed() -> None:
    first, second = World.generate(9, "small"), World.generate(9, "small")
    kinds = [(c.kind, c.repo, c.number) for c in first.advance(60)]
    assert kinds == [(c.kind, c.repo, c.number) for c in second.advance(60)]
    assert fingerprint(first) == fingerprint(second)


def test_edit_reports_one_change_per_event_with_previous_values() -> None:
    world = World.generate(1, "small")
    issue = open_issue(world)
    old_title, old_labels = issue.title, set(issue.labels) | {"bug"}
    world.edit_issue(issue.repo, issue.number, labels=sorted(old_labels - {"question"}))
    changes = world.edit_issue(
        issue.repo, issue.number, title="Renamed", labels=["question"], actor="ada-adams"
    )
    assert Counter(c.kind for c in changes) == {
        "edited": 1,
        "labeled": 1,
        "unlabeled": len(old_labels - {"question"}),
    }
    assert {c.label for c in changes if c.kind == "unlabeled"} == old_labels - {"question"}
    assert {c.actor for c in changes} == {"ada-adams"}
    edited = next(c for c in changes if c.kind == "edited")
    assert edited.previous == {"title": old_title}
    assert {c.issue.title for c in changes} == {"Renamed"}
    assert world.issue(issue.repo, issue.number).updated_at == world.clock


def test_close_and_reopen_set_state_reason_and_closed_at() -> None:
    world = World.generate(1, "small")
    issue = open_issue(world)
    (closed,) = world.edit_issue(
        issue.repo, issue.number, state="closed", state_reason="not_planned"
    )
    assert closed.kind == "closed"
    assert (closed.issue.state_reason, closed.issue.closed_at) == ("not_planned", world.clock)
    (reopened,) = world.edit_issue(issue.repo, issue.number, state="open")
    assert reopened.kind == "reopened"
    assert (reopened.issue.state_reason, reopened.issue.closed_at) == ("reopened", None)


def test_milestone_counts_follow_edits() -> None:
    world = World.generate(1, "small")
    issue = open_issue(world)
    repo = world.repo(issue.repo)
    number = next(iter(repo.milestones))
    world.edit_issue(issue.repo, issue.number, milestone=number)
    world.edit_issue(issue.repo, issue.number, state="closed")
    assert recount_milestones(repo)[number] == (
        repo.milestones[number].open_issues,
        repo.milestones[number].closed_issues,
    )
    (demilestoned,) = world.edit_issue(issue.repo, issue.number, milestone=None)
    assert (demilestoned.kind, demilestoned.milestone) == ("demilestoned", number)


def test_delete_leaves_a_tombstone_and_orphans_sub_issues() -> None:
    world = World.generate(2, "medium")
    parent_key = next(k for r in world.repos.values() for k, v in r.children.items() if v)
    repo = next(r for r in world.repos.values() if r.children.get(parent_key))
    children = list(repo.children[parent_key])
    change = world.delete_issue(repo.full_name, parent_key)
    assert change.kind == "deleted"
    assert change.issue.number == parent_key
    assert parent_key not in repo.issues
    assert world.tombstone(repo.full_name, parent_key) is not None
    assert all(repo.issues[n].parent is None for n in children)


def test_transfer_moves_the_issue_under_a_new_number_and_reports_both_sides() -> None:
    world = World.generate(1, "small")
    issue = open_issue(world)
    target = next(name for name in world.repos if name != issue.repo)
    expected_number = world.repo(target).next_number
    moved, opened = world.transfer_issue(issue.repo, issue.number, target)
    assert (moved.kind, opened.kind) == ("transferred", "created")
    assert moved.counterpart is not None
    assert moved.counterpart.key == f"{target}#{expected_number}"
    assert opened.counterpart is not None
    assert opened.counterpart.key == issue.key
    tombstone = world.tombstone(issue.repo, issue.number)
    assert tombstone is not None
    assert tombstone.moved_to == (target, expected_number)
    new = world.issue(target, expected_number)
    assert (new.title, new.created_at) == (issue.title, issue.created_at)
    assert new.id != issue.id


def test_pull_requests_cannot_be_deleted_or_transferred() -> None:
    world = World.single_repo("octo", "a", issues=1, pull_requests=1)
    pr = next(i for i in world.all_issues() if i.is_pull_request)
    with pytest.raises(ValueError, match="pull requests"):
        world.delete_issue("octo/a", pr.number)


def test_another_epoch_gives_the_same_organisation_shifted_in_time() -> None:
    shift = timedelta(days=333, hours=5)
    base, moved = World.generate(seed=4), World.generate(seed=4, epoch=EPOCH + shift)
    assert moved.clock == EPOCH + shift
    pairs = list(zip(base.all_issues(), moved.all_issues(), strict=True))
    assert pairs
    for old, new in pairs:
        assert (new.title, new.state, new.number) == (old.title, old.state, old.number)
        assert new.created_at == old.created_at + shift
        assert new.updated_at == old.updated_at + shift
        assert new.closed_at == (old.closed_at + shift if old.closed_at else None)
    for key, item in base.roadmap.items():
        shifted = moved.roadmap[key]
        assert (shifted.title, shifted.status) == (item.title, item.status)
        assert shifted.target_date == item.target_date + timedelta(days=333)
    for name, repo in base.repos.items():
        for number, milestone in repo.milestones.items():
            assert moved.repos[name].milestones[number].due_on == milestone.due_on + shift
