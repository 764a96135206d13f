"""Choosing the operator: continuity, then weight / Σ weights among operators with room; the reasons."""

from __future__ import annotations

from collections import Counter

from crm.features.leads.distribution import (
    ALL_FULL,
    CONTINUITY,
    NONE_ACTIVE,
    WEIGHT,
    Candidate,
    choose_operator,
    draw_for,
    reason_text,
)


def test_shares_follow_the_weights_closely_even_over_a_hundred_contacts():
    candidates = [Candidate(1, 10, 0, 10_000), Candidate(2, 30, 0, 10_000)]
    for n_contacts, within in ((100, 3), (10_000, 10)):
        for start in (1, 777, 123_456):
            counts = Counter(
                choose_operator(candidates, None, draw_for(n)).operator_id for n in range(start, start + n_contacts)
            )
            assert abs(counts[1] - n_contacts // 4) <= within, (start, counts)
            assert counts[1] + counts[2] == n_contacts


def test_every_draw_is_uniform_so_each_contact_goes_by_weight_wherever_the_sequence_starts():
    buckets = Counter(int(draw_for(n) * 10) for n in range(1, 100_001))
    assert all(9_800 <= count <= 10_200 for count in buckets.values()) and len(buckets) == 10


def test_two_equal_operators_each_get_one_of_any_three_consecutive_contacts():
    for start in range(1, 2000):
        picks = {choose_operator([Candidate(1, 5, 0, 9), Candidate(2, 5, 0, 9)], None, draw_for(start + i)).operator_id
                 for i in range(3)}  # fmt: skip
        assert picks == {1, 2}, start


def test_an_operator_without_room_or_away_is_not_a_candidate():
    candidates = [Candidate(1, 100, 5, 5), Candidate(2, 1, 0, 5), Candidate(3, 100, 0, 5, active=False)]
    assert {choose_operator(candidates, None, draw_for(n)).operator_id for n in range(50)} == {2}


def test_the_leads_own_operator_keeps_it_while_they_have_room():
    candidates = [Candidate(1, 1, 0, 5), Candidate(2, 1000, 0, 5)]
    choice = choose_operator(candidates, 1, 0.99)
    assert (choice.operator_id, choice.code) == (1, CONTINUITY)
    full = [Candidate(1, 1, 5, 5), Candidate(2, 1000, 0, 5)]
    assert choose_operator(full, 1, 0.5).operator_id == 2


def test_nobody_with_room_leaves_the_contact_unassigned_with_the_reason():
    full = choose_operator([Candidate(1, 1, 3, 3), Candidate(2, 1, 1, 1)], None, 0.5)
    assert (full.operator_id, full.code, full.params) == (None, ALL_FULL, {"operators": 2})
    away = choose_operator([Candidate(1, 1, 0, 3, active=False)], None, 0.5)
    assert (away.operator_id, away.code) == (None, NONE_ACTIVE)
    assert "maximum load" in reason_text(full.code, full.params)


def test_the_reason_of_a_weighted_choice_names_the_weights():
    choice = choose_operator([Candidate(1, 10, 0, 5), Candidate(2, 30, 0, 5)], None, 0.9)
    assert (choice.operator_id, choice.code) == (2, WEIGHT)
    assert reason_text(choice.code, choice.params) == (
        "Chosen at random by weight: 30 of 40 among 2 operators with room."
    )
    queued = reason_text(choice.code, {**choice.params, "queued_s": 600})
    assert queued.startswith("Given out from the unassigned queue after 10 min.")
