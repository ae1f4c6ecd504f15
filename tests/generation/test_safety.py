"""Nothing lost, nothing paid twice: pauses on 401 and 402, cancelling, checking an unconfirmed
take again, and the ledger of spent and reserved money, against the simulator."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from studio.generation import ledger, services, steps
from studio.generation.models import SubmitPause, Take, TakeStatus
from tests.helpers import configure, new_take, poll_once, poll_until_done, sim_state

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def submit_due(take: Take):
    Take.objects.filter(pk=take.pk).update(next_check_at=timezone.now())
    return steps.take_submit(take_id=take.pk)


def test_rejected_key_pauses_every_submit_until_an_administrator_resumes(
    gateway, studio, settings, client
):
    settings.AIGATEWAY_API_KEY = "not-a-gateway-key"
    first, second = new_take(studio), new_take(studio)
    assert submit_due(first) is None
    first.refresh_from_db()
    assert first.status == TakeStatus.PENDING  # kept, not failed: the key is at fault
    assert SubmitPause.objects.active().get().reason == "authentication"
    assert submit_due(second) is None
    assert sim_state(gateway)["requests"]["submit"] == 1  # the second was never sent

    client.force_login(studio.bob)
    page = client.get(reverse("storyboard_detail", args=[studio.storyboard.uuid])).text
    assert "Generation is paused" in page and "AIGATEWAY_API_KEY" not in page  # staff's
    with pytest.raises(PermissionDenied):
        services.submissions_resume(user=studio.bob)

    settings.AIGATEWAY_API_KEY = "sk-aig-test"
    studio.alice.is_staff = True
    assert services.submissions_resume(user=studio.alice) == 2
    assert not SubmitPause.objects.active().exists()
    assert submit_due(first).action == "poll"


def test_empty_wallet_fails_the_take_and_holds_the_rest_until_resumed(gateway, studio, client):
    configure(gateway, wallet_cents=0)
    first, second = new_take(studio), new_take(studio)
    submit_due(first)
    first.refresh_from_db()
    assert first.status == TakeStatus.FAILED
    assert first.error_message.startswith("The gateway wallet is empty: top up")
    assert submit_due(second) is None
    second.refresh_from_db()
    assert second.status == TakeStatus.PENDING

    configure(gateway, wallet_cents=100_000)
    client.force_login(studio.alice)  # an owner of the team whose take waits
    response = client.post(reverse("submissions_resume"), {"next": "/"}, follow=True)
    assert "Submissions resumed: 1 waiting take sent." in response.text
    assert submit_due(second).action == "poll"


WALLET_MESSAGE = "The gateway wallet is empty: top up at billing."


@pytest.fixture
def wallet_paused(gateway, studio) -> Take:
    """A take of Acme Creative waits behind an empty-wallet pause."""
    waiting = new_take(studio)
    steps.submissions_pause(reason="credits", message=WALLET_MESSAGE)
    return waiting


@pytest.mark.parametrize("who", ["vera", "bob", "oscar", "loner"])
def test_resume_refuses_all_but_owners_with_waiting_takes_and_sends_nothing(
    wallet_paused, studio, client, who
):
    # Oscar owns a team, but none of its takes wait; the loner is in no team at all.
    loner = User.objects.create_user("loner", "loner@example.com", "pw")
    user = loner if who == "loner" else getattr(studio, who)
    held_until = wallet_paused.next_check_at
    with pytest.raises(PermissionDenied):
        services.submissions_resume(user=user)
    client.force_login(user)
    assert client.post(reverse("submissions_resume"), {"next": "/"}).status_code == 403
    assert SubmitPause.objects.active().exists()
    wallet_paused.refresh_from_db()
    assert wallet_paused.next_check_at == held_until  # held, not sent


@pytest.mark.parametrize("who", ["alice", "staff"])
def test_owner_of_a_team_with_waiting_takes_or_staff_resumes(wallet_paused, studio, who):
    user = studio.alice
    if who == "staff":
        user = User.objects.create_user("operator", is_staff=True)
    assert services.submissions_resume(user=user) == 1
    assert not SubmitPause.objects.active().exists()


def test_an_owner_whose_only_waiting_take_was_made_during_the_pause_may_not_resume(
    gateway, studio, client, time_machine
):
    """Every user owns a personal team and may click Generate while paused: a take made
    during the pause is no reason to lift it for every team."""
    start = timezone.now()
    time_machine.move_to(start, tick=False)
    steps.submissions_pause(reason="credits", message=WALLET_MESSAGE)
    time_machine.move_to(start + timedelta(seconds=1), tick=False)
    made_during = new_take(studio)  # bob generates; alice owns the team
    assert not services.submissions_may_resume(user=studio.alice)
    with pytest.raises(PermissionDenied):
        services.submissions_resume(user=studio.alice)
    client.force_login(studio.alice)
    page = client.get(reverse("dashboard")).text
    assert "Generation is paused" in page and "Resume submissions" not in page
    assert SubmitPause.objects.active().exists()
    made_during.refresh_from_db()
    assert made_during.status == TakeStatus.PENDING


def test_an_owner_whose_take_was_held_by_the_pause_resumes_it_and_the_later_ones(
    gateway, studio, time_machine
):
    start = timezone.now()
    time_machine.move_to(start, tick=False)
    held = new_take(studio)
    steps.submissions_pause(reason="credits", message=WALLET_MESSAGE)
    time_machine.move_to(start + timedelta(seconds=1), tick=False)
    later = new_take(studio)
    assert services.submissions_may_resume(user=studio.alice)
    assert services.submissions_resume(user=studio.alice) == 2
    assert {held.pk, later.pk} == set(
        Take.objects.filter(next_check_at=start + timedelta(seconds=1)).values_list("pk", flat=True)
    )


def test_banner_shows_the_gateway_message_and_resume_only_to_who_may_resume(
    wallet_paused, studio, client
):
    for user, may in [(studio.alice, True), (studio.bob, False), (studio.oscar, False)]:
        client.force_login(user)
        page = client.get(reverse("dashboard")).text
        assert (WALLET_MESSAGE in page) is may
        assert ("Resume submissions" in page) is may
        assert "Generation is paused" in page


def test_cancel_a_take_not_yet_sent_ends_it_at_once(gateway, studio):
    take = new_take(studio)
    services.take_request_cancel(user=studio.bob, take=take)
    take.refresh_from_db()
    assert take.status == TakeStatus.CANCELLED
    assert submit_due(take) is None
    assert sim_state(gateway)["requests"]["submit"] == 0


def test_cancel_a_running_take_at_the_gateway_and_it_costs_nothing(gateway, studio):
    configure(gateway, queue_seconds=30)
    take = new_take(studio)
    submit_due(take)
    take.refresh_from_db()
    services.take_request_cancel(user=studio.bob, take=take)
    assert take.status == TakeStatus.CANCELLING
    assert steps.take_cancel(take_id=take.pk) is None
    take.refresh_from_db()
    assert take.status == TakeStatus.CANCELLED
    assert sim_state(gateway)["jobs"][0]["status"] == "cancelled"
    assert ledger.project_totals(studio.project).committed == Decimal("0")
    assert steps.take_cancel(take_id=take.pk) is None  # delivered twice: nothing more


def test_a_poll_racing_a_cancel_does_not_undo_it(gateway, studio):
    configure(gateway, queue_seconds=30)
    take = new_take(studio)
    submit_due(take)
    services.take_request_cancel(user=studio.bob, take=Take.objects.get(pk=take.pk))
    Take.objects.filter(pk=take.pk).update(next_check_at=timezone.now())
    assert poll_once(take) is None
    assert Take.objects.get(pk=take.pk).status == TakeStatus.CANCELLING


def test_check_again_resends_with_the_same_key_and_finds_the_same_job(gateway, studio):
    configure(gateway, faults=["submit:drop-after"])
    take = new_take(studio)
    submit_due(take)
    take.refresh_from_db()
    assert take.status == TakeStatus.UNCONFIRMED
    services.take_check_again(user=studio.bob, take=take)
    assert submit_due(take).action == "poll"
    take = poll_until_done(take)
    assert take.status == TakeStatus.COMPLETED
    state = sim_state(gateway)
    assert len(state["jobs"]) == 1
    assert state["accepted_per_idempotency_key"] == {str(take.idempotency_key): 1}


def test_project_page_shows_spent_reserved_and_remaining_per_storyboard(gateway, studio, client):
    done = new_take(studio)
    submit_due(done)
    poll_until_done(done)
    new_take(studio)  # reserved, not yet sent
    failed = new_take(studio)
    Take.objects.filter(pk=failed.pk).update(status=TakeStatus.FAILED)
    total, per_storyboard = ledger.project_costs(studio.project)
    assert (total.spent, total.reserved) == (Decimal("1.60"), Decimal("1.60"))
    assert per_storyboard[studio.storyboard.pk] == total
    client.force_login(studio.vera)
    page = client.get(reverse("project_detail", args=[studio.project.uuid])).text
    assert "Spent $1.60 · reserved $1.60" in page
    assert "$96.80" in page  # remaining of $100
    assert "about $3.36 of top-up" in page


def test_when_the_budget_is_short_takes_that_may_be_done_are_polled_first(
    gateway, studio, settings
):
    settings.AIGATEWAY_RPM = 3  # less headroom, 2 a minute: the submit, then polls wait
    configure(gateway, queue_seconds=30)
    likely, unlikely = new_take(studio), new_take(studio)
    submit_due(likely)
    Take.objects.filter(pk=unlikely.pk).update(
        status=TakeStatus.RUNNING, gateway_job_id="job_x", submitted_at=timezone.now()
    )
    soon = timezone.now() + timedelta(minutes=2)
    Take.objects.filter(pk=unlikely.pk).update(next_check_at=timezone.now(), earliest_ready_at=soon)
    Take.objects.filter(pk=likely.pk).update(next_check_at=timezone.now())
    waits = {
        name: poll_once(take).after for name, take in (("likely", likely), ("unlikely", unlikely))
    }
    assert waits["unlikely"] > waits["likely"] * 1.5
    assert sim_state(gateway)["requests"]["poll"] == 0
